// Package store is wepipe's content-addressed object store (ARCHITECTURE.md §2,
// FORMAT.md §Store).
//
// A store is a directory:
//
//	DIR/wepipe-store              marker: "wepipe store\nlayout 1\n"
//	DIR/objects/<kind>/<hash>     one object: zstd frame of its canonical CBOR
//	DIR/tmp/                      temp files of writers in progress
//	DIR/memo/<key>                memo entries: derived caches, never objects
//	DIR/corrupt/<kind>-<hash>     objects quarantined by Check
//	DIR/shallow/<hash>            snapshots whose parents may be absent (MarkShallow)
//	DIR/index/snapshots           the snapshot index: a cache of listings (FORMAT.md §1.5)
//	DIR/packs/<sha256>.pack       pack files: many objects each (pack.go, Pack)
//
// An object's name is the lowercase hex SHA-256 of its uncompressed,
// deterministic CBOR encoding, so `zstd -dc FILE | sha256sum` verifies any
// file by hand. Objects are grouped in one directory per kind, so listing
// snapshots or systems reads only their directory and never opens a state.
//
// Objects are written once: temp file in DIR/tmp, write, fsync, close,
// rename into place, fsync the directory. A write whose object exists is a
// no-op. No object is ever modified, so concurrent writers never conflict,
// and a crash leaves whole objects plus stray temp files that readers
// ignore (we-fsck removes them). Every read re-hashes the bytes.
package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/wepipe/wepipe/pkg/record"
)

const (
	markerName    = "wepipe-store"
	markerContent = "wepipe store\nlayout 1\n"
	objectsDir    = "objects"
	tmpDir        = "tmp"
	memoDir       = "memo"
	corruptDir    = "corrupt"
)

// MaxObjectSize bounds an object's decompressed size (1 GiB), so that a
// corrupt or hostile file cannot exhaust memory (a zstd bomb is refused).
var MaxObjectSize int64 = 1 << 30

// Store is an open store directory.
type Store struct {
	dir string

	kindMu   sync.Mutex
	kindMade map[record.Kind]bool // later kinds whose directory exists

	packOnce sync.Once
	packSet  *packSet // pack files, loaded on first need (pack.go)
}

// firstKinds are the kinds of layout 1 as first defined, whose
// directories every store has from its creation. A store made before a
// later kind (run) lacks that kind's directory until the first object of
// the kind is written (FORMAT.md §1.1).
var firstKinds = map[record.Kind]bool{record.KindSystem: true, record.KindSnapshot: true, record.KindState: true, record.KindSegment: true}

// ensureKind makes the directory of a later kind, once per Store.
func (s *Store) ensureKind(k record.Kind) error {
	if firstKinds[k] {
		return nil
	}
	s.kindMu.Lock()
	defer s.kindMu.Unlock()
	if s.kindMade[k] {
		return nil
	}
	if err := os.Mkdir(s.kindDir(k), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create %s: %w", s.kindDir(k), err)
	} else if err == nil && !fsyncOff {
		if err := syncDir(filepath.Join(s.dir, objectsDir)); err != nil {
			return err
		}
	}
	if s.kindMade == nil {
		s.kindMade = map[record.Kind]bool{}
	}
	s.kindMade[k] = true
	return nil
}

// ErrNotFound reports an object that is not in the store.
var ErrNotFound = errors.New("not in the store")

// ErrNotRegular reports a store entry that is not a regular file where
// one belongs (an object, the marker, a memo entry): a symbolic link, a
// FIFO, a socket, a device or a directory. Readers refuse it without
// following or opening it in a way that could block (FORMAT.md §1.1).
var ErrNotRegular = errors.New("not a regular file")

// notRegular is ErrNotRegular saying what the entry is.
func notRegular(what string) error { return fmt.Errorf("%w (%s)", ErrNotRegular, what) }

// ErrNoStore reports a directory that is not a store.
var ErrNoStore = errors.New("no store")

// Open opens an existing store; it never creates anything. A missing
// directory, a directory without the marker and a marker of an unknown
// layout are refused with a message that says which.
func Open(dir string) (*Store, error) {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store %s: %w: the directory does not exist (create one with we-init)", dir, ErrNoStore)
		}
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("store %s: %w: not a directory", dir, ErrNoStore)
	}
	b, err := readSmall(filepath.Join(dir, markerName))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("store %s: %w: the directory has no %s marker (not a wepipe store)", dir, ErrNoStore, markerName)
		}
		return nil, fmt.Errorf("store %s: %w", dir, err)
	}
	if err := checkLayout(dir); err != nil {
		return nil, err
	}
	const head = "wepipe store\n"
	if !strings.HasPrefix(string(b), head) {
		return nil, fmt.Errorf("store %s: %w: unrecognised %s marker", dir, ErrNoStore, markerName)
	}
	if string(b) != markerContent {
		layout := strings.TrimSpace(strings.TrimPrefix(string(b), head))
		return nil, fmt.Errorf("store %s: %q is not supported by this build, which reads layout 1 (upgrade wepipe)", dir, layout)
	}
	return &Store{dir: dir}, nil
}

// layoutNames are the entries a store directory may hold; Create accepts a
// directory holding only these (a store whose creation was interrupted).
var layoutNames = map[string]bool{markerName: true, objectsDir: true, tmpDir: true, memoDir: true, corruptDir: true, shallowDir: true, indexDir: true, packsDir: true}

// Create opens the store at dir, creating it if it does not exist. It
// refuses a directory that holds anything else, and never touches a store
// of another layout.
func Create(dir string) (*Store, error) {
	if s, err := Open(dir); err == nil {
		return s, nil
	}
	if _, err := os.Stat(filepath.Join(dir, markerName)); err == nil {
		// A marker that Open refused: report why, change nothing.
		return Open(dir)
	}
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if !layoutNames[e.Name()] {
				return nil, fmt.Errorf("store %s: the directory exists, holds %q and is not a wepipe store", dir, e.Name())
			}
		}
		if err := checkLayout(dir); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("create store %s: %w", dir, err)
	}
	objs := filepath.Join(dir, objectsDir)
	for _, d := range []string{filepath.Join(dir, tmpDir), filepath.Join(dir, memoDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create store: %w", err)
		}
	}
	for _, k := range record.Kinds {
		if err := os.MkdirAll(filepath.Join(objs, string(k)), 0o755); err != nil {
			return nil, fmt.Errorf("create store: %w", err)
		}
	}
	// The directories are made durable before the marker, so a store whose
	// marker survives a crash has all of them.
	for _, d := range []string{objs, dir, filepath.Dir(dir)} {
		if err := syncDir(d); err != nil {
			return nil, fmt.Errorf("create store: %w", err)
		}
	}
	if err := writeAtomic(filepath.Join(dir, tmpDir), filepath.Join(dir, markerName), []byte(markerContent), true); err != nil {
		return nil, fmt.Errorf("create store: %w", err)
	}
	return Open(dir)
}

// layoutDirs are the directories of a store, relative to it.
var layoutDirs = func() []string {
	d := []string{objectsDir, tmpDir, memoDir, corruptDir, shallowDir, indexDir, packsDir}
	for _, k := range record.Kinds {
		d = append(d, filepath.Join(objectsDir, string(k)))
	}
	return d
}()

// checkLayout refuses a store whose directories (those that exist) are
// symbolic links or not directories: nothing is ever followed out of a
// store (FORMAT.md §1.1), so that its readers never read, and its writers
// and we-fsck never write, remove or move, a file of another directory or
// another store. The store's own directory may be a link. Operations that
// remove or move files (Check) also open each directory without following
// links (dirAt), in case one is replaced after Open.
func checkLayout(dir string) error {
	for _, d := range layoutDirs {
		st, err := os.Lstat(filepath.Join(dir, d))
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("store %s: %w", dir, err)
		case st.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("store %s: %s is a symbolic link; a store's directories must be its own, never links out of it (link the store directory itself instead)", dir, d)
		case !st.IsDir():
			return fmt.Errorf("store %s: %s is not a directory", dir, d)
		}
	}
	return nil
}

// Dir is the store's directory.
func (s *Store) Dir() string { return s.dir }

// Path is the file that holds object h of kind k.
func (s *Store) Path(k record.Kind, h record.Hash) string {
	return filepath.Join(s.dir, objectsDir, string(k), h.String())
}

func (s *Store) kindDir(k record.Kind) string {
	return filepath.Join(s.dir, objectsDir, string(k))
}

// Kind returns the kind of object h, or ErrNotFound. Only a regular file
// is an object: a symbolic link, a FIFO or a directory under an object's
// name is not one (readers report it as corrupt).
func (s *Store) Kind(h record.Hash) (record.Kind, error) {
	for _, k := range record.Kinds {
		if isRegular(s.Path(k, h)) {
			return k, nil
		}
	}
	if k, ok := s.packedKind(h); ok {
		return k, nil
	}
	return "", s.notFound("object", h)
}

// Has reports whether object h of kind k exists: its file is a regular
// file (not a symbolic link, whatever it points to).
func (s *Store) Has(k record.Kind, h record.Hash) bool {
	return isRegular(s.Path(k, h)) || s.packedHas(k, h)
}

// List returns the hashes of every object of kind k, loose or packed,
// sorted, each once.
func (s *Store) List(k record.Kind) ([]record.Hash, error) {
	out, err := listLoose(s.kindDir(k))
	if err != nil {
		return nil, listDirError(k, err)
	}
	// Packed objects (pack.go), merged with the loose ones: one sort,
	// then an object both loose and packed (shadowed) listed once.
	out = append(out, s.packedList(k)...)
	sortHashList(out)
	return slices.Compact(out), nil
}

// ErrAmbiguous reports a prefix that matches several objects.
var ErrAmbiguous = errors.New("ambiguous hash prefix")

// MinPrefix is the shortest accepted hash prefix (ARCHITECTURE.md §5).
const MinPrefix = 8

// ErrBadHash reports text given as a hash that is not a hash or a
// prefix of one: fewer than MinPrefix or more than 64 digits, or not
// hexadecimal. The tools treat it as a usage error.
var ErrBadHash = errors.New("not a hash or a prefix of one")

// CheckPrefix checks that arg is a full hash or a prefix of at least
// MinPrefix hex digits (either case, surrounding white space ignored),
// as Resolve requires; the error wraps ErrBadHash.
func CheckPrefix(arg string) error {
	p := strings.ToLower(strings.TrimSpace(arg))
	if len(p) < MinPrefix || len(p) > 64 || strings.Trim(p, "0123456789abcdef") != "" {
		return fmt.Errorf("%q is not a hash or a prefix of at least %d hex digits: %w", arg, MinPrefix, ErrBadHash)
	}
	return nil
}

// Resolve turns a full hash or a unique prefix of at least MinPrefix hex
// digits into a hash and its kind.
func (s *Store) Resolve(prefix string) (record.Hash, record.Kind, error) {
	p := strings.ToLower(strings.TrimSpace(prefix))
	if err := CheckPrefix(prefix); err != nil {
		return record.Hash{}, "", err
	}
	found, kinds := s.packedPrefix(p)
	if len(p) == 64 {
		h, _ := record.ParseHash(p)
		k, err := s.Kind(h)
		if err != nil {
			return h, "", err
		}
		return h, k, nil
	}
	for _, k := range record.Kinds {
		ents, err := os.ReadDir(s.kindDir(k))
		if err != nil {
			continue
		}
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), p) && len(e.Name()) == 64 {
				h, err := record.ParseHash(e.Name())
				if err == nil && h.String() == e.Name() && !containsHash(found, h) {
					found = append(found, h)
					kinds = append(kinds, k)
				}
			}
		}
	}
	switch len(found) {
	case 0:
		return record.Hash{}, "", fmt.Errorf("object %s…: %w", p, ErrNotFound)
	case 1:
		return found[0], kinds[0], nil
	}
	var b strings.Builder
	for i, h := range found {
		if i == 4 {
			fmt.Fprintf(&b, ", …")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", kinds[i], h.Short())
	}
	return record.Hash{}, "", fmt.Errorf("%s… matches %d objects (%s): %w; give more digits", p, len(found), b.String(), ErrAmbiguous)
}

func containsHash(hs []record.Hash, h record.Hash) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}
