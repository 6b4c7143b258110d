//! The identity server's emails, as Sydent makes them: each is a whole RFC 5322 message
//! (headers, blank line, body) rendered by Jinja2 from a template an operator may replace,
//! `verification_template.eml.j2` and `invite_template.eml.j2` in a template directory,
//! with Sydent's variable names. What the template renders is what is sent (its line ends
//! made CRLF, as SMTP wants them and as Sydent's `smtplib` makes them).
//!
//! Like Sydent's, the environment escapes HTML in every `{{ value }}` (for the HTML part of
//! a multipart message); headers and plain text use `{{ value|safe }}`.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{AutoEscape, Environment};

/// The two messages and their file names in a template directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// Sent by `validate/email/requestToken`: `link`, `token`, `ipaddress`, ...
    Verification,
    /// Sent by `store-invite`: every string field of the request, `token`,
    /// `ephemeral_private_key`, `web_client_location`, ...
    Invite,
}

impl Template {
    pub const ALL: [Template; 2] = [Template::Verification, Template::Invite];

    pub fn file_name(self) -> &'static str {
        match self {
            Template::Verification => "verification_template.eml.j2",
            Template::Invite => "invite_template.eml.j2",
        }
    }

    fn builtin(self) -> &'static str {
        match self {
            Template::Verification => include_str!("templates/verification_template.eml.j2"),
            Template::Invite => include_str!("templates/invite_template.eml.j2"),
        }
    }
}

/// The templates, parsed.
#[derive(Debug, Clone)]
pub struct EmailTemplates {
    environment: Environment<'static>,
}

impl Default for EmailTemplates {
    fn default() -> Self {
        EmailTemplates::from_sources(|template| Ok(template.builtin().to_owned()))
            .expect("the built-in templates parse")
    }
}

impl EmailTemplates {
    /// Both templates from `dir`; a missing file or a template that does not parse is an
    /// error naming it.
    pub fn load(dir: &Path) -> Result<EmailTemplates, String> {
        EmailTemplates::from_sources(|template| {
            let path = dir.join(template.file_name());
            std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {}: {error}", path.display()))
        })
    }

    fn from_sources(
        source: impl Fn(Template) -> Result<String, String>,
    ) -> Result<EmailTemplates, String> {
        let mut environment = Environment::new();
        environment.set_auto_escape_callback(|_| AutoEscape::Html);
        // A variable a template names but this server does not give renders empty, as in
        // Jinja2 (Sydent's templates test optional fields that way).
        environment.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        for template in Template::ALL {
            environment
                .add_template_owned(template.file_name(), source(template)?)
                .map_err(|error| format!("{}: {error}", template.file_name()))?;
        }
        Ok(EmailTemplates { environment })
    }

    /// The whole message, CRLF line ends, from `variables`.
    pub fn render(
        &self,
        template: Template,
        variables: &BTreeMap<String, String>,
    ) -> Result<String, String> {
        let text = self
            .environment
            .get_template(template.file_name())
            .and_then(|compiled| compiled.render(variables))
            .map_err(|error| format!("{}: {error}", template.file_name()))?;
        Ok(crlf(&text))
    }
}

/// Line ends as SMTP wants them: every `\n` (and lone `\r`) becomes `\r\n`.
pub fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

/// The variables every message gets, beside its own: `to`, `from`, `date` (RFC 5322),
/// `messageid` and a random `multipart_boundary` (so that no user input can end a part).
pub fn envelope_variables(to: &str, from: &str, host_name: &str) -> BTreeMap<String, String> {
    let now = crate::clock::now_ms();
    let date = rfc5322_date(now);
    BTreeMap::from([
        ("to".to_owned(), to.to_owned()),
        ("from".to_owned(), from.to_owned()),
        ("date".to_owned(), date),
        (
            "messageid".to_owned(),
            format!("<{now}{}@{host_name}>", crate::secrets::random_token(16)),
        ),
        (
            "multipart_boundary".to_owned(),
            crate::secrets::random_token(32),
        ),
    ])
}

/// `Fri, 04 Dec 2026 06:23:15 +0000`: RFC 5322's date, as Python's
/// `email.utils.formatdate(localtime=False)` writes it (with `-0000`).
fn rfc5322_date(ms: i64) -> String {
    // `httpdate` writes `Fri, 04 Dec 2026 06:23:15 GMT`; RFC 5322 wants a numeric zone.
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    let http = httpdate::fmt_http_date(time);
    format!("{} -0000", http.trim_end_matches(" GMT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_templates_render_whole_messages() {
        let templates = EmailTemplates::default();
        let mut variables =
            envelope_variables("a@example.org", "Id <id@example.org>", "id.example.org");
        variables.insert("link".into(), "https://id.example.org/x?a=<b>".into());
        variables.insert("token".into(), "123456".into());
        let message = templates
            .render(Template::Verification, &variables)
            .unwrap();
        let (headers, body) = message.split_once("\r\n\r\n").unwrap();
        assert!(headers.contains("To: a@example.org\r\n"), "{headers}");
        assert!(headers.contains("Subject: "), "{headers}");
        assert!(
            body.contains("\r\nhttps://id.example.org/x?a=<b>\r\n"),
            "the link whole, on its own line: {body}"
        );
        assert!(!message.replace("\r\n", "").contains('\n'), "CRLF only");
        assert!(
            variables["date"].ends_with(" -0000"),
            "{}",
            variables["date"]
        );
    }

    #[test]
    fn a_template_directory_needs_both_files_and_valid_syntax() {
        let dir = tempfile::tempdir().unwrap();
        let error = EmailTemplates::load(dir.path()).unwrap_err();
        assert!(error.contains("verification_template.eml.j2"), "{error}");
        std::fs::write(dir.path().join("verification_template.eml.j2"), "{{ link").unwrap();
        std::fs::write(dir.path().join("invite_template.eml.j2"), "x").unwrap();
        let error = EmailTemplates::load(dir.path()).unwrap_err();
        assert!(error.contains("verification_template.eml.j2"), "{error}");
        // HTML is escaped unless a template says `|safe`, as in Jinja2 with autoescape.
        std::fs::write(
            dir.path().join("verification_template.eml.j2"),
            "<p>{{ link }}</p>\n{{ link|safe }}",
        )
        .unwrap();
        let templates = EmailTemplates::load(dir.path()).unwrap();
        let variables = BTreeMap::from([("link".to_owned(), "a&b".to_owned())]);
        assert_eq!(
            templates
                .render(Template::Verification, &variables)
                .unwrap(),
            "<p>a&amp;b</p>\r\na&b"
        );
    }
}
