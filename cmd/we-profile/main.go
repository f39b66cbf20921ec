package main

import (
	_ "embed"
	"io"
	"os"

	"github.com/wepipe/wepipe/internal/analyze"
	"github.com/wepipe/wepipe/internal/cli"
)

//go:embed doc.go
var doc string

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return analyze.Profile(cli.NewEnv("we-profile", doc, stdin, stdout, stderr), args)
}
