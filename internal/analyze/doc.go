// Package analyze holds the logic of the tools that say what a run found:
// we-summary, we-profile, we-rate, we-assign, we-msm and we-report. They
// read a history and format pkg/analysis's estimators as text, CSV, JSON
// lines, figures and a report.
//
// They live apart from internal/tools so that the pipeline's tools
// (we-init, we-step, we-resample, we-run, we-merge …), which start once
// or twice a cycle, do not link the plotting packages: gonum/plot, its
// fonts and LaTeX tables cost every process that links them several
// milliseconds of start-up (ARCHITECTURE.md §9).
package analyze
