// zlib, for the bounded raw-deflate decoder that reads .npz members (Sources/Attend/IO/Inflate.swift).
// Named Zlib, not CZlib: ZIPFoundation (used for writing .npz) already declares a module CZlib.
#include <zlib.h>
