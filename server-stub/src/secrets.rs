//! Secrets: random tokens from the operating system's CSPRNG, their storage hashes, and
//! password hashing (argon2id over the NFKC form, off the async threads).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random token of `length` characters from `[A-Za-z0-9]`: about 5.95 bits a character,
/// so 32 characters carry more than 190 bits.
pub fn random_token(length: usize) -> String {
    let mut token = String::with_capacity(length);
    let mut buffer = [0u8; 64];
    while token.len() < length {
        getrandom::fill(&mut buffer).expect("the operating system's random source failed");
        // Rejection sampling keeps every character equally likely.
        for byte in buffer {
            let limit = 256 - 256 % TOKEN_ALPHABET.len();
            if usize::from(byte) < limit && token.len() < length {
                token.push(char::from(
                    TOKEN_ALPHABET[usize::from(byte) % TOKEN_ALPHABET.len()],
                ));
            }
        }
    }
    token
}

/// An access, refresh, login or OpenID token: 32 random characters.
pub fn new_token() -> String {
    random_token(32)
}

/// What is stored in place of a token: its SHA-256, in hex. Tokens are high-entropy, so
/// a fast hash is enough; a stolen database yields no usable token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 32 random bytes.
pub fn random_seed() -> [u8; 32] {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the operating system's random source failed");
    seed
}

fn normalised(password: &str) -> String {
    password.nfkc().collect()
}

/// The argon2id PHC string of a password, computed on the blocking pool.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        Argon2::default()
            .hash_password(normalised(&password).as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| anyhow::anyhow!("argon2: {e}"))
    })
    .await?
}

/// A hash that matches no password: checked against when the user does not exist, so
/// that a wrong user name costs what a wrong password costs.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Q1VmBfhKS+B8RtGHbDSNdZqPRhb2DmcVbFxKRmKc7DY";

/// Whether `password` matches `hash` (a missing hash matches nothing), checked on the
/// blocking pool.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(normalised(&password).as_bytes(), &parsed)
            .is_ok();
        exists && matches
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_alphanumeric() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn token_hashes_are_sha256_hex() {
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify_in_nfkc() {
        // "ﬁ" (U+FB01) is "fi" under NFKC.
        let hash = hash_password("\u{fb01}sh".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("fish".into(), Some(hash.clone())).await);
        assert!(!verify_password("fisk".into(), Some(hash)).await);
        assert!(!verify_password("anything".into(), None).await);
    }
}
