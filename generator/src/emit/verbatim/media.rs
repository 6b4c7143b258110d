//! Bodies whose media type the sender names.
//!
//! A body documented as `application/octet-stream`, or as a range such as `image/*`, is any
//! bytes in whatever media type the sender says (an upload's `Content-Type`, a download's):
//! a [`Blob`] keeps both, so an image sent as `image/png` is read back as `image/png`.
//!
//! This file is the same in every generated crate: the generator copies it verbatim.

/// Bytes and the media type they are in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Blob {
    /// The media type, as a `Content-Type` header writes it; empty when the sender named
    /// none, and the body then goes out as the media type its operation documents.
    pub content_type: String,
    /// The body.
    pub bytes: Vec<u8>,
}

impl Blob {
    /// `bytes` in `content_type` (`image/png`).
    pub fn new(content_type: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Blob {
            content_type: content_type.into(),
            bytes: bytes.into(),
        }
    }

    /// The media type the body goes out with: its own, or `documented` when it has none.
    pub fn content_type_or<'a>(&'a self, documented: &'a str) -> &'a str {
        if self.content_type.is_empty() {
            documented
        } else {
            &self.content_type
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blob_goes_out_with_its_own_type_or_the_documented_one() {
        let png = Blob::new("image/png", vec![0x89, b'P']);
        assert_eq!(png.content_type_or("application/octet-stream"), "image/png");
        let unnamed = Blob::new("", vec![1]);
        assert_eq!(
            unnamed.content_type_or("application/octet-stream"),
            "application/octet-stream"
        );
    }
}
