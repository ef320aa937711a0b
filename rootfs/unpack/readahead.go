package unpack

// Reading the tarball on the other core: while tar makes one file, the
// next megabyte is already read, gunzipped and hashed — a pipeline, as the
// shell's
//
//	gzip -d < image.tar.gz | tee >(sha256sum) | tar -x
//
// runs three processes at once. Making files is what takes the time
// (openat(O_CREAT) of each), so the digest and the decompression come
// almost for free.

import (
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// chunkSize is how much the reader runs ahead at a time.
const chunkSize = 1 << 20

// chunk is one piece of the stream, and the error that ended it, if it
// is the last.
type chunk struct {
	buf  []byte // the whole buffer, to reuse
	data []byte // what is still to be read of it
	err  error
}

// readAhead reads r on its own goroutine and hashes what it reads. Read
// gives the same bytes in order; Sum, once Read has returned io.EOF, is
// their digest. Close stops the goroutine.
type readAhead struct {
	chunks chan chunk
	free   chan []byte   // buffers back from the reader side, to reuse
	stop   chan struct{} // closed by Close
	done   chan struct{} // closed by fill when it returns
	digest hash.Hash
	cur    chunk
}

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		chunks: make(chan chunk, 2), free: make(chan []byte, 4), stop: make(chan struct{}), done: make(chan struct{}),
		digest: sha256.New(),
	}
	go ra.fill(r)
	return ra
}

// fill runs on its own goroutine: read, hash, hand over, until the end.
func (ra *readAhead) fill(r io.Reader) {
	defer close(ra.done)
	defer close(ra.chunks)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		default:
			buf = make([]byte, chunkSize)
		}
		// one read: what a pipe has now, a whole chunk from a file
		n, err := r.Read(buf)
		ra.digest.Write(buf[:n])
		select {
		case ra.chunks <- chunk{buf, buf[:n], err}:
		case <-ra.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur.data) == 0 {
		if ra.cur.err != nil {
			return 0, ra.cur.err
		}
		if ra.cur.buf != nil {
			select { // done with this buffer: fill may have it back
			case ra.free <- ra.cur.buf:
			default:
			}
		}
		next, ok := <-ra.chunks
		if !ok {
			return 0, io.ErrClosedPipe // read after Close
		}
		ra.cur = next
	}
	n := copy(p, ra.cur.data)
	ra.cur.data = ra.cur.data[n:]
	return n, nil
}

// Sum is "sha256:" and the digest of the whole stream. Call it after Read
// returned io.EOF: fill has hashed everything by then.
func (ra *readAhead) Sum() string {
	return "sha256:" + hex.EncodeToString(ra.digest.Sum(nil))
}

// Close stops fill, if the reader stopped before the end, and waits until
// it has: then no one reads r any more, and the caller may (to check the
// digest of what r is made from, say).
func (ra *readAhead) Close() {
	close(ra.stop)
	<-ra.done
}
