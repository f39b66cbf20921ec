// Package tools holds the logic of wepipe's command-line tools; each
// cmd/we-* main is one call into it. A tool function takes its Env and
// arguments and returns the exit code.
package tools

import "github.com/wepipe/wepipe/pkg/record"

// Version is the version of wepipe's algorithms recorded in every
// snapshot's op (record.AlgorithmVersion).
const Version = record.AlgorithmVersion
