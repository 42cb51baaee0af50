// Package index holds inner-product indexes over dense float32 vectors: a
// [Flat] index, exact, where every query is scored against every document,
// and an [IVF] index, approximate, where a query scores only the documents
// of the inverted lists whose centroids are most similar to it (IVF-Flat,
// or IVF-SQ8 with one byte per dimension).
//
// Most of what follows is about Flat; IVF keeps the same order of hits and
// the same independence of the thread count, and its file format is
// described at [LoadIVF]'s source (ivf_format.go): versioned, checksummed,
// memory-mapped like Flat's.
//
// A [Flat] holds the document matrix, n rows of d float32s, row-major, and
// one string id per row. [Flat.Search] scores a block of documents at a
// time, so memory stays bounded whatever the corpus size (one or two
// queries with [kernels.Scores]' row-dot kernel, more with SGEMM), and
// keeps the k best documents of each query in bounded min-heaps.
//
// # Order
//
// Results are sorted by score, highest first; equal scores are ordered by
// document index, lower first; NaN scores come after every number (among
// themselves, lower index first). This is a total order, so the top k is
// unique and Search returns the same hits, bit for bit, for every thread
// count ([kernels.SetThreads]).
//
// The scores are float32 sums. Two documents whose exact (or float64)
// scores differ by less than the float32 rounding of a d-term dot product
// (about 1e-7·Σ|qᵢxᵢ| per term, so ~1e-6 relative for d = 384) may come out
// in either order, or one may displace the other at rank k; which one
// depends on the kernel's summation order, not on chance. The scores of one
// query can also differ in their last bits between a call with one or two
// queries and one with three or more, since Search switches from the
// row-dot kernel to SGEMM there.
//
// # Files
//
// [Flat.WriteTo] and [Flat.Save] write a versioned, checksummed binary file
// (all integers little-endian):
//
//	offset  size     field
//	0       8        magic "RRRAIDX\x00"
//	8       4        format version (1 or 2)
//	12      4        reserved, 0
//	16      8        d, the dimension
//	24      8        n, the number of documents
//	32      8        size in bytes of the ids section
//	40      8        version 2: size m in bytes of the metadata section
//	                 (at most 1 MiB); version 1: zero
//	48      16       zero padding
//	64      4·n·d    the document matrix, float32, row-major
//	…       …        the ids, each a uint32 byte length and the bytes
//	…       m        version 2: the metadata, a JSON object of strings
//	…       4        CRC-32C (Castagnoli) of every byte before it
//
// Version 2 adds the metadata ([Flat.SetMeta]): what made the index (the
// model and corpus text it was encoded from), so that an index is not
// searched with another model's query vectors by mistake. An index
// without metadata is written as version 1, byte for byte what earlier
// builds wrote; both versions are read.
//
// The matrix starts at offset 64, so [Load] can memory-map the file (on
// Linux and Darwin; elsewhere it reads it) and use the matrix in place.
package index
