//! Secrets: random tokens from the operating system's CSPRNG, their storage hashes, and
//! password hashing (argon2id over the NFKC form, off the async threads).

use std::cell::RefCell;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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

/// Runs a hash on the blocking pool, at most one per core at a time: each argon2 hash takes
/// 19 MiB and a core, so a login flood queues here instead of exhausting memory and starving
/// the async threads.
async fn on_hashing_pool<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    static POOL: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        map_large_allocations();
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    });
    let _permit = pool.acquire().await?;
    Ok(tokio::task::spawn_blocking(work).await?)
}

/// Has glibc map every allocation of 1 MiB or more on its own, so that freeing it gives it
/// back to the system. By default glibc raises that threshold to the size of the first
/// mapped block freed: from the second generation of hashing threads on, their 19 MiB
/// buffers came from the threads' arenas, and an exited thread's stayed resident (a soak
/// of logins kept RSS 60 MB up after going idle; `tests/bench/soak.sh`).
fn map_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes a tuning parameter of the allocator, under its own lock.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

/// Gives the memory freed since the last call back to the system: what the threads freed
/// stays in their allocator arenas otherwise. The janitor calls it after each purge.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the system, under the allocator's own
    // locks; no memory in use is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

thread_local! {
    /// The hashing thread's argon2 working memory (19 MiB with the default parameters),
    /// kept between hashes: allocating it for every hash costs page faults, and the freed
    /// blocks pile up in the allocator's per-thread arenas.
    static BLOCKS: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2 of `password` and the salt's bytes into `out`, in this thread's working memory.
fn argon2_into(
    argon2: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        blocks.resize(params.block_count(), Block::default());
        argon2.hash_password_into_with_memory(password, salt, out, &mut blocks[..])
    })
}

/// The argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) of a password,
/// computed on the hashing pool.
pub async fn hash_password(password: String) -> anyhow::Result<String> {
    on_hashing_pool(move || {
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
        let salt_string =
            SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let params = Params::default();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let password = normalised(&password);
        let output = Output::init_with(output_len, |out| {
            argon2_into(&argon2, &params, password.as_bytes(), &salt, out).map_err(Into::into)
        })
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
        let hash = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
            salt: Some(salt_string.as_salt()),
            hash: Some(output),
        };
        Ok(hash.to_string())
    })
    .await?
}

/// Whether `password` hashes, with the parameters and salt stored in `hash`, to the stored
/// output (compared in constant time).
fn matches(password: &str, hash: &str) -> Option<bool> {
    let parsed = PasswordHash::new(hash).ok()?;
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = parsed
        .version
        .map(Version::try_from)
        .transpose()
        .ok()?
        .unwrap_or_default();
    let params = Params::try_from(&parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt).ok()?;
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    argon2_into(
        &argon2,
        &params,
        normalised(password).as_bytes(),
        salt,
        &mut out,
    )
    .ok()?;
    Some(Output::new(&out).ok()? == expected)
}

/// A hash that matches no password: checked against when the user does not exist, so
/// that a wrong user name costs what a wrong password costs.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Q1VmBfhKS+B8RtGHbDSNdZqPRhb2DmcVbFxKRmKc7DY";

/// Whether `password` matches `hash` (a missing hash matches nothing), checked on the
/// hashing pool.
pub async fn verify_password(password: String, hash: Option<String>) -> bool {
    on_hashing_pool(move || {
        let exists = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
        let matches = matches(&password, &hash).unwrap_or(false);
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

    #[test]
    fn hashes_are_standard_argon2id_phc_strings() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours verify with the argon2 crate's own verifier, and its hashes verify with ours.
        let ours = tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(hash_password("pw".into()))
            .unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"pw", &PasswordHash::new(&ours).unwrap())
                .is_ok()
        );
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let theirs = Argon2::default()
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert_eq!(matches("pw", &theirs), Some(true));
        assert_eq!(matches("pW", &theirs), Some(false));
        assert_eq!(matches("pw", "not a hash"), None);
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
