package analyze

import "github.com/wepipe/wepipe/internal/inproc"

// runTool runs a tool in process and returns its stdout, trimmed.
var runTool = inproc.Run
