//! Terms of service, from an operator file in Sydent's `terms.yaml` layout:
//!
//! ```yaml
//! master_version: "1.1"
//! docs:
//!   privacy_policy:
//!     version: "1.1"
//!     langs:
//!       en: { name: "Privacy Policy", url: "https://example.org/privacy-1.1-en.html" }
//!       fr: { name: "Politique de confidentialité", url: "https://example.org/privacy-1.1-fr.html" }
//! ```
//!
//! An account has agreed to the terms once, for every policy, it has accepted the URL of
//! one of its languages. Accepted URLs are all the store keeps: a new version of a policy
//! comes with new URLs, so nobody has agreed to it until they accept one of those.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use matrix_api::types::{GetTermsOkBody, InternationalisedPolicy, PolicyObject};
use serde::Deserialize;

/// The longest URL, name or version the file may hold: what the store keeps of them is
/// bounded by the file.
const MAX_TEXT: usize = 2048;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermsFile {
    master_version: String,
    #[serde(default)]
    docs: BTreeMap<String, Policy>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Policy {
    version: String,
    langs: BTreeMap<String, Language>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Language {
    name: String,
    url: String,
}

/// The terms an operator publishes; none by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    master_version: Option<String>,
    /// By the policy's name (`privacy_policy`).
    policies: BTreeMap<String, Policy>,
}

impl Terms {
    /// Reads a `terms.yaml`; every problem is named, with the file.
    pub fn load(path: &Path) -> Result<Terms, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
        Terms::parse(&text).map_err(|error| format!("{}: {error}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Terms, String> {
        let file: TermsFile = serde_yaml::from_str(text).map_err(|error| error.to_string())?;
        for (policy, doc) in &file.docs {
            if doc.langs.is_empty() {
                return Err(format!("policy `{policy}` has no language"));
            }
            for (lang, entry) in &doc.langs {
                for (what, text) in [("name", &entry.name), ("url", &entry.url)] {
                    if text.is_empty() || text.len() > MAX_TEXT {
                        return Err(format!(
                            "policy `{policy}`, language `{lang}`: the {what} must be 1 to {MAX_TEXT} bytes"
                        ));
                    }
                }
                if lang == "version" {
                    return Err(format!(
                        "policy `{policy}`: `version` is no language (the spec's answer keeps that key for the policy's version)"
                    ));
                }
            }
        }
        let policies = file.docs;
        let urls: Vec<_> = policies
            .values()
            .flat_map(|policy| policy.langs.values().map(|lang| &lang.url))
            .collect();
        if urls.iter().collect::<BTreeSet<_>>().len() != urls.len() {
            return Err("a URL is listed twice: each names one policy in one language".into());
        }
        Ok(Terms {
            master_version: Some(file.master_version),
            policies,
        })
    }

    /// Whether there is anything to agree to.
    pub fn any(&self) -> bool {
        !self.policies.is_empty()
    }

    pub fn master_version(&self) -> Option<&str> {
        self.master_version.as_deref()
    }

    /// `GET /terms`'s answer.
    pub fn answer(&self) -> GetTermsOkBody {
        let policies = self
            .policies
            .iter()
            .map(|(name, policy)| {
                let mut object = PolicyObject::new(policy.version.clone());
                object.additional_properties = policy
                    .langs
                    .iter()
                    .map(|(lang, entry)| {
                        (
                            lang.clone(),
                            InternationalisedPolicy::new(entry.name.clone(), entry.url.clone()),
                        )
                    })
                    .collect();
                (name.clone(), object)
            })
            .collect();
        GetTermsOkBody::new(policies)
    }

    /// Whether the file lists `url`.
    pub fn lists(&self, url: &str) -> bool {
        self.policies
            .values()
            .any(|policy| policy.langs.values().any(|lang| lang.url == url))
    }

    /// Whether the `accepted` URLs agree to every policy (in any one language each).
    pub fn agreed(&self, accepted: &[String]) -> bool {
        self.policies.values().all(|policy| {
            policy
                .langs
                .values()
                .any(|lang| accepted.contains(&lang.url))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYDENT_LAYOUT: &str = r#"
master_version: "1.1"
docs:
  privacy_policy:
    version: "1.1"
    langs:
      en:
        name: "Privacy Policy"
        url: "https://example.org/privacy-1.1-en.html"
      fr:
        name: "Politique de confidentialité"
        url: "https://example.org/privacy-1.1-fr.html"
  terms_of_service:
    version: "2.0"
    langs:
      en:
        name: "Terms of Service"
        url: "https://example.org/tos-2.0-en.html"
"#;

    #[test]
    fn sydents_layout_reads_and_answers_as_the_spec_says() {
        let terms = Terms::parse(SYDENT_LAYOUT).unwrap();
        assert_eq!(terms.master_version(), Some("1.1"));
        let answer = serde_json::to_value(terms.answer()).unwrap();
        assert_eq!(
            answer["policies"]["privacy_policy"],
            serde_json::json!({
                "version": "1.1",
                "en": {"name": "Privacy Policy", "url": "https://example.org/privacy-1.1-en.html"},
                "fr": {"name": "Politique de confidentialité", "url": "https://example.org/privacy-1.1-fr.html"},
            })
        );
        let accepted = |urls: &[&str]| urls.iter().map(|u| u.to_string()).collect::<Vec<_>>();
        assert!(!terms.agreed(&accepted(&["https://example.org/privacy-1.1-fr.html"])));
        assert!(terms.agreed(&accepted(&[
            "https://example.org/privacy-1.1-fr.html",
            "https://example.org/tos-2.0-en.html"
        ])));
        assert!(Terms::default().agreed(&[]));
    }

    #[test]
    fn a_bad_file_is_refused_with_its_reason() {
        for (text, complaint) in [
            ("docs: {}", "master_version"),
            (
                "master_version: '1'\ndocs: {p: {version: '1', langs: {}}}",
                "no language",
            ),
            (
                "master_version: '1'\ndocs: {p: {version: '1', langs: {en: {name: n, url: ''}}}}",
                "url must be",
            ),
            (
                "master_version: '1'\ndocs: {p: {version: '1', langs: {en: {name: n, url: u}}}, q: {version: '1', langs: {en: {name: n, url: u}}}}",
                "twice",
            ),
            ("master_version: '1'\nextra: 1", "unknown field"),
        ] {
            let error = Terms::parse(text).unwrap_err();
            assert!(error.contains(complaint), "{text}: {error}");
        }
    }
}
