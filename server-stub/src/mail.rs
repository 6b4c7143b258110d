//! Outgoing email: whole RFC 5322 messages (rendered templates), written as files to an
//! outbox directory (for operators and tests to read) or sent by SMTP.

use std::path::PathBuf;
use std::str::FromStr;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{SMTP_PORT, SUBMISSION_PORT, SUBMISSIONS_PORT};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// The environment variables that hold the relay's login. Never flags: a command line is
/// visible to every user of the host.
pub const SMTP_USERNAME_VAR: &str = "SERVER_STUB_SMTP_USERNAME";
pub const SMTP_PASSWORD_VAR: &str = "SERVER_STUB_SMTP_PASSWORD";

/// How the connection to an SMTP relay is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (port 465 unless given).
    Tls,
    /// `smtp://`: STARTTLS, which the relay must offer (port 587 unless given).
    StartTls,
    /// `smtp://…?tls=opportunistic`: STARTTLS when the relay offers it, plaintext when not.
    Opportunistic,
    /// `smtp://…?tls=none`: plaintext (port 25 unless given), for a relay on the same host.
    Plaintext,
}

/// An SMTP relay as `--smtp` names it, with the login and the extra trusted certificates
/// that come from elsewhere.
///
/// The URL follows lettre's `from_url` (the scheme, `?tls=`, the path as the EHLO name), with
/// two differences that are why it is parsed here: `smtp://` requires STARTTLS unless told
/// `tls=none` (lettre's plain `smtp://` is unencrypted), and an IPv6 literal such as
/// `smtp://[::1]:2525` is connected to without its brackets.
#[derive(Debug, Clone)]
pub struct SmtpRelay {
    host: String,
    port: u16,
    security: SmtpSecurity,
    hello_name: Option<String>,
    /// `Credentials` prints as `Credentials`, so `Settings` can be logged.
    login: Option<Credentials>,
    /// PEM certificates trusted for this relay besides the system's.
    extra_roots: Option<Vec<u8>>,
}

impl FromStr for SmtpRelay {
    type Err = String;

    fn from_str(text: &str) -> Result<SmtpRelay, String> {
        let url = url::Url::parse(text).map_err(|error| format!("not a URL: {error}"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "the relay's login goes in {SMTP_USERNAME_VAR} and {SMTP_PASSWORD_VAR}, not in \
                 the URL, which every user of the host can read"
            ));
        }
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            match &*key {
                "tls" if tls.is_none() => tls = Some(value.into_owned()),
                _ => return Err(format!("unknown or repeated parameter {key:?}: only `tls`")),
            }
        }
        if url.fragment().is_some() {
            return Err("the URL has a fragment".into());
        }
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtps", None) => SmtpSecurity::Tls,
            ("smtp", None | Some("required")) => SmtpSecurity::StartTls,
            ("smtp", Some("opportunistic")) => SmtpSecurity::Opportunistic,
            ("smtp", Some("none")) => SmtpSecurity::Plaintext,
            ("smtps", Some(_)) => {
                return Err("smtps:// is TLS from the first byte: it takes no `tls`".into());
            }
            ("smtp", Some(other)) => {
                return Err(format!(
                    "tls={other:?}: use `required` (the default), `opportunistic` or `none`"
                ));
            }
            (scheme, _) => {
                return Err(format!(
                    "{scheme}:// is not SMTP: use smtp:// (STARTTLS) or smtps:// (TLS)"
                ));
            }
        };
        let host = match url.host() {
            Some(url::Host::Domain(name)) => name.to_owned(),
            Some(url::Host::Ipv4(address)) => address.to_string(),
            Some(url::Host::Ipv6(address)) => address.to_string(),
            None => return Err("the URL names no host".into()),
        };
        let default_port = match security {
            SmtpSecurity::Tls => SUBMISSIONS_PORT,
            SmtpSecurity::StartTls | SmtpSecurity::Opportunistic => SUBMISSION_PORT,
            SmtpSecurity::Plaintext => SMTP_PORT,
        };
        let hello_name = Some(url.path().trim_matches('/'))
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        Ok(SmtpRelay {
            host,
            port: url.port().unwrap_or(default_port),
            security,
            hello_name,
            login: None,
            extra_roots: None,
        })
    }
}

impl SmtpRelay {
    /// Logs in as `username`; only over a connection that is sure to be encrypted, since
    /// the password would otherwise cross the network in the clear.
    pub fn with_login(mut self, username: String, password: String) -> Result<SmtpRelay, String> {
        if !matches!(self.security, SmtpSecurity::Tls | SmtpSecurity::StartTls) {
            return Err(
                "a login is sent only over TLS: use smtps:// or smtp:// without `tls=`".into(),
            );
        }
        self.login = Some(Credentials::new(username, password));
        Ok(self)
    }

    /// Trusts the PEM certificates in `pem` for this relay, besides the system's: an
    /// internal CA, or a test's.
    pub fn trusting(mut self, pem: Vec<u8>) -> Result<SmtpRelay, String> {
        let certificates = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| format!("not PEM certificates: {error}"))?;
        if certificates.is_empty() {
            return Err("holds no PEM certificate".into());
        }
        self.extra_roots = Some(pem);
        Ok(self)
    }

    fn tls(&self) -> anyhow::Result<Tls> {
        let parameters = || -> anyhow::Result<TlsParameters> {
            let mut builder = TlsParameters::builder(self.host.clone());
            if let Some(pem) = &self.extra_roots {
                builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
            }
            Ok(builder.build_rustls()?)
        };
        Ok(match self.security {
            SmtpSecurity::Tls => Tls::Wrapper(parameters()?),
            SmtpSecurity::StartTls => Tls::Required(parameters()?),
            SmtpSecurity::Opportunistic => Tls::Opportunistic(parameters()?),
            SmtpSecurity::Plaintext => Tls::None,
        })
    }
}

#[derive(Clone)]
pub enum Mailer {
    /// One `.eml` file per message in this directory.
    Outbox(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn outbox(dir: PathBuf) -> anyhow::Result<Mailer> {
        std::fs::create_dir_all(&dir)?;
        Ok(Mailer::Outbox(dir))
    }

    /// Sends through `relay`, secured as it says.
    pub fn smtp(relay: &SmtpRelay) -> anyhow::Result<Mailer> {
        // `builder_dangerous` only means "no TLS yet": `tls()` sets what the relay asked for.
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&relay.host)
            .port(relay.port)
            .tls(relay.tls()?);
        if let Some(login) = &relay.login {
            builder = builder.credentials(login.clone());
        }
        if let Some(name) = &relay.hello_name {
            builder = builder.hello_name(ClientId::Domain(name.clone()));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    /// Sends a whole RFC 5322 message as it is (a rendered template), from `from` (a
    /// mailbox, `Name <address>` or an address) to `to`: those make the SMTP envelope.
    pub async fn send_message(&self, from: &str, to: &str, message: &str) -> anyhow::Result<()> {
        if message.split("\r\n").any(|line| line.len() > 998) {
            anyhow::bail!("an email line is over 998 bytes");
        }
        let from: lettre::message::Mailbox = from.parse()?;
        let envelope = lettre::address::Envelope::new(Some(from.email), vec![to.parse()?])?;
        match self {
            Mailer::Outbox(dir) => {
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send_raw(&envelope, message.as_bytes())
                    .await?;
            }
            Mailer::Smtp(transport) => {
                transport.send_raw(&envelope, message.as_bytes()).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_holds_each_message_as_it_was_rendered() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(dir.path().to_path_buf()).unwrap();
        let link = format!("http://x/?a={}", "b".repeat(120));
        let message =
            format!("To: louise@bobs.burgers\r\nSubject: Hello\r\n\r\nLine one\r\n{link}\r\n");
        mailer
            .send_message(
                "Identity <noreply@example.org>",
                "louise@bobs.burgers",
                &message,
            )
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert_eq!(
            text, message,
            "the message, byte for byte: links stay whole"
        );
        // SMTP carries no line over 998 bytes: refused rather than broken.
        let long = format!("Subject: x\r\n\r\n{}\r\n", "y".repeat(999));
        assert!(
            mailer
                .send_message("noreply@example.org", "louise@bobs.burgers", &long)
                .await
                .is_err()
        );
    }

    fn relay(url: &str) -> SmtpRelay {
        url.parse().unwrap_or_else(|error| panic!("{url}: {error}"))
    }

    #[test]
    fn relay_urls_say_where_and_how_securely() {
        for (url, host, port, security) in [
            (
                "smtp://mail.example.org",
                "mail.example.org",
                587,
                SmtpSecurity::StartTls,
            ),
            (
                "smtp://mail.example.org:2525?tls=required",
                "mail.example.org",
                2525,
                SmtpSecurity::StartTls,
            ),
            (
                "smtp://mail.example.org?tls=opportunistic",
                "mail.example.org",
                587,
                SmtpSecurity::Opportunistic,
            ),
            (
                "smtp://localhost?tls=none",
                "localhost",
                25,
                SmtpSecurity::Plaintext,
            ),
            (
                "smtps://mail.example.org",
                "mail.example.org",
                465,
                SmtpSecurity::Tls,
            ),
            (
                "smtps://192.0.2.7:4650/",
                "192.0.2.7",
                4650,
                SmtpSecurity::Tls,
            ),
            (
                "smtp://[::1]:2525?tls=none",
                "::1",
                2525,
                SmtpSecurity::Plaintext,
            ),
        ] {
            let relay = relay(url);
            assert_eq!(
                (relay.host.as_str(), relay.port, relay.security),
                (host, port, security),
                "{url}"
            );
            assert_eq!(relay.hello_name, None, "{url}");
        }
        assert_eq!(
            relay("smtps://relay/client.example").hello_name.as_deref(),
            Some("client.example")
        );
    }

    #[test]
    fn relay_urls_that_would_surprise_are_refused() {
        for (url, complaint) in [
            ("smtp://alice:secret@mail.example.org", SMTP_PASSWORD_VAR),
            ("smtp://alice@mail.example.org", SMTP_USERNAME_VAR),
            ("http://mail.example.org", "not SMTP"),
            ("mail.example.org:25", "not SMTP"),
            ("smtps://mail.example.org?tls=none", "no `tls`"),
            ("smtp://mail.example.org?tls=yes", "tls=\"yes\""),
            ("smtp://mail.example.org?tls=none&tls=required", "repeated"),
            ("smtp://mail.example.org?timeout=5", "unknown"),
            ("smtp://", "no host"),
            ("smtp://mail.example.org:99999", "not a URL"),
        ] {
            let error = url.parse::<SmtpRelay>().unwrap_err();
            assert!(error.contains(complaint), "{url}: {error}");
        }
    }

    #[test]
    fn a_login_is_sent_only_over_tls() {
        let login = |url: &str| relay(url).with_login("alice".into(), "secret".into());
        assert!(login("smtps://mail.example.org").is_ok());
        assert!(login("smtp://mail.example.org").is_ok());
        assert!(login("smtp://mail.example.org?tls=opportunistic").is_err());
        assert!(login("smtp://localhost?tls=none").is_err());
        let relay = login("smtps://mail.example.org").unwrap();
        assert!(!format!("{relay:?}").contains("secret"), "{relay:?}");
    }

    #[test]
    fn extra_roots_must_be_certificates() {
        assert!(
            relay("smtps://mail.example.org")
                .trusting(b"not a certificate".to_vec())
                .is_err()
        );
    }
}
