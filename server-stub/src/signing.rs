//! Signed JSON, as Matrix does it: ed25519 over canonical JSON, unpadded base64.

use base64::Engine as _;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD_NO_PAD};
use ed25519_dalek::{Signer, SigningKey, Verifier, VerifyingKey};
use serde_json::Value;

/// Reads what other implementations write: padded or not, and with nonzero trailing bits
/// (the specification's own example key has them).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Why a value has no canonical JSON form.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CanonicalJsonError {
    #[error("canonical JSON has integers only, within ±(2^53 - 1): {0}")]
    Number(String),
}

/// The largest integer canonical JSON allows (JavaScript's safe integer range).
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// Matrix canonical JSON: object keys sorted by code point, no insignificant whitespace,
/// UTF-8 rather than `\u` escapes, integers only.
pub fn canonical_json(value: &Value) -> Result<String, CanonicalJsonError> {
    let mut out = String::new();
    write_canonical(value, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(item, out)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Number(number) => match number.as_i64() {
            Some(n) if (-MAX_SAFE_INTEGER..=MAX_SAFE_INTEGER).contains(&n) => {
                out.push_str(&n.to_string())
            }
            _ => return Err(CanonicalJsonError::Number(number.to_string())),
        },
        // serde_json writes strings as canonical JSON wants them: only `"`, `\` and control
        // characters escaped, the short forms where they exist, `\u00xx` otherwise.
        other => out.push_str(&other.to_string()),
    }
    Ok(())
}

/// The bytes that are signed: the object without `signatures` and `unsigned`.
fn signed_bytes(object: &Value) -> Result<String, CanonicalJsonError> {
    let mut stripped = object.clone();
    if let Value::Object(map) = &mut stripped {
        map.remove("signatures");
        map.remove("unsigned");
    }
    canonical_json(&stripped)
}

/// An ed25519 key with the id it is published under (`ed25519:0`).
pub struct KeyPair {
    pub key_id: String,
    signing_key: SigningKey,
}

impl KeyPair {
    pub fn from_seed(key_id: &str, seed: [u8; 32]) -> Self {
        KeyPair {
            key_id: key_id.to_owned(),
            signing_key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key, unpadded base64.
    pub fn public_key(&self) -> String {
        STANDARD_NO_PAD.encode(self.signing_key.verifying_key().as_bytes())
    }

    /// Adds this key's signature to `object.signatures[signer][key_id]`.
    pub fn sign(&self, signer: &str, object: &mut Value) -> Result<(), CanonicalJsonError> {
        let signature = STANDARD_NO_PAD.encode(
            self.signing_key
                .sign(signed_bytes(object)?.as_bytes())
                .to_bytes(),
        );
        if let Value::Object(map) = object {
            let signatures = map
                .entry("signatures")
                .or_insert_with(|| Value::Object(Default::default()));
            if let Value::Object(signatures) = signatures {
                let by_signer = signatures
                    .entry(signer.to_owned())
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Value::Object(by_signer) = by_signer {
                    by_signer.insert(self.key_id.clone(), Value::String(signature));
                }
            }
        }
        Ok(())
    }
}

/// Whether `object` carries a valid signature by `signer` with `key_id` under `public_key`
/// (unpadded base64).
pub fn verify(object: &Value, signer: &str, key_id: &str, public_key: &str) -> bool {
    let check = || -> Option<bool> {
        let signature = object
            .get("signatures")?
            .get(signer)?
            .get(key_id)?
            .as_str()?;
        let signature = LENIENT.decode(signature).ok()?;
        let signature = ed25519_dalek::Signature::from_slice(&signature).ok()?;
        let key: [u8; 32] = LENIENT.decode(public_key).ok()?.try_into().ok()?;
        let key = VerifyingKey::from_bytes(&key).ok()?;
        let bytes = signed_bytes(object).ok()?;
        Some(key.verify(bytes.as_bytes(), &signature).is_ok())
    };
    check().unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The examples of the Matrix specification's appendix on canonical JSON.
    #[test]
    fn canonical_json_matches_the_specification_examples() {
        let cases = [
            (json!({}), "{}"),
            (json!({"one": 1, "two": "Two"}), r#"{"one":1,"two":"Two"}"#),
            (json!({"b": "2", "a": "1"}), r#"{"a":"1","b":"2"}"#),
            (
                json!({"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe", "three_pids": [{"medium": "email", "address": "john.doe@example.org"}, {"medium": "msisdn", "address": "123456789"}]}}}),
                r#"{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}"#,
            ),
            (json!({"a": "日本語"}), r#"{"a":"日本語"}"#),
            (json!({"本": 2, "日": 1}), r#"{"日":1,"本":2}"#),
            (json!({"a": "\u{65E5}"}), r#"{"a":"日"}"#),
            (json!({"a": null}), r#"{"a":null}"#),
            (json!({"a": -0}), r#"{"a":0}"#),
            (json!({"a": "\u{0007}\n\"\\"}), r#"{"a":"\u0007\n\"\\"}"#),
        ];
        for (value, expected) in cases {
            assert_eq!(canonical_json(&value).unwrap(), expected);
        }
    }

    #[test]
    fn canonical_json_refuses_floats_and_unsafe_integers() {
        assert!(canonical_json(&json!({"a": 1.5})).is_err());
        assert!(canonical_json(&json!({"a": 9007199254740992_i64})).is_err());
        assert!(canonical_json(&json!({"a": 9007199254740991_i64})).is_ok());
    }

    // The signing example of the Matrix specification's appendix: this seed signs `{}`
    // and `{"one": 1, "two": "Two"}` to these signatures.
    #[test]
    fn signatures_match_the_specification_examples() {
        let seed: [u8; 32] = LENIENT
            .decode("YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1")
            .unwrap()
            .try_into()
            .unwrap();
        let key = KeyPair::from_seed("ed25519:1", seed);
        let mut empty = json!({});
        key.sign("domain", &mut empty).unwrap();
        assert_eq!(
            empty["signatures"]["domain"]["ed25519:1"],
            "K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ"
        );
        let mut object = json!({"one": 1, "two": "Two"});
        key.sign("domain", &mut object).unwrap();
        assert_eq!(
            object["signatures"]["domain"]["ed25519:1"],
            "KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw"
        );
        assert!(verify(&object, "domain", "ed25519:1", &key.public_key()));
        object["two"] = json!("Three");
        assert!(!verify(&object, "domain", "ed25519:1", &key.public_key()));
    }
}
