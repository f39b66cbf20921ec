//go:build linux && (arm64 || riscv64 || loong64)

package store

// sysSyncfs is syncfs(2)'s number in the generic Linux syscall table
// (asm-generic/unistd.h) that these architectures share.
const sysSyncfs = 267
