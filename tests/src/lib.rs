//! Black-box tests of the whole project live in `tests/`; this library is empty.
