// Package clitest holds end-to-end tests of wepipe's command-line tools:
// testscript scripts (testdata/*.txtar) that run the real we-* binaries,
// built once by TestMain, and check the conventions of ARCHITECTURE.md §5 (exit
// codes, stdout holding only hashes or listings, diagnostics on stderr
// prefixed with the tool's name) together with each tool's behaviour.
// The package has no non-test code.
package clitest
