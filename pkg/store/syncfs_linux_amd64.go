package store

// sysSyncfs is syncfs(2)'s number on linux/amd64 (the syscall package
// predates it).
const sysSyncfs = 306
