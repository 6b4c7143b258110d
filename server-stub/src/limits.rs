//! The longest value the servers take for each string they store or sign, in one place: the
//! checks read them here, and the README's table lists them. Longer input is refused with a
//! 400 before anything is normalised, hashed, stored or signed. Strings the servers make
//! themselves (tokens, session ids) are not listed; the JSON body as a whole is limited by
//! the router (512 KiB).
//!
//! Control characters are refused by every check below but the password's: user ids,
//! localparts, server names, email addresses and client secrets have grammars that leave
//! them out, and a device id is refused if it has one. A password is opaque (it is
//! normalised and hashed, never shown), so any character may be in it.

/// A user id, `@localpart:server_name` (the spec's limit), registered or signed on bind.
pub const USER_ID_BYTES: usize = 255;

/// A password, on register, on login and on a password change: refused before NFKC (which
/// can multiply its length) and hashing.
pub const PASSWORD_CHARS: usize = 512;

/// A device id a client names.
pub const DEVICE_ID_BYTES: usize = 255;

/// An email address being validated or associated (RFC 5321 limits its path to 256 octets;
/// this leaves room for what real addresses do).
pub const EMAIL_BYTES: usize = 500;

/// A validation session's `client_secret` (the spec's grammar, `[0-9a-zA-Z.=_-]{1,255}`).
pub const CLIENT_SECRET_BYTES: usize = 255;

/// An identity server a client names (`host[:port]`): a DNS name is at most 253 bytes.
pub const ID_SERVER_BYTES: usize = 261;
