//! Outgoing email: validation links, written as RFC 5322 files to an outbox directory (for
//! operators and tests to read) or sent by SMTP.

use std::path::PathBuf;

use lettre::message::Body;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

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

    /// A plain (unencrypted, unauthenticated) SMTP relay at `smtp://host[:port]`, such as
    /// a local MTA that relays onwards.
    pub fn smtp(url: &str) -> anyhow::Result<Mailer> {
        let address = url
            .strip_prefix("smtp://")
            .ok_or_else(|| anyhow::anyhow!("the SMTP relay must be given as smtp://host[:port]"))?
            .trim_end_matches('/');
        let (host, port) = match address.rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>()?),
            None => (address, 25),
        };
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .build();
        Ok(Mailer::Smtp(transport))
    }

    pub async fn send(
        &self,
        from: &str,
        to: &str,
        subject: &str,
        body: String,
    ) -> anyhow::Result<()> {
        // 8-bit, not quoted-printable, so that links stay whole for whoever reads the file.
        // lettre would pick quoted-printable past 76 characters a line; RFC 5322 allows 998.
        let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
        if body.split("\r\n").any(|line| line.len() > 998) {
            anyhow::bail!("an email line is over 998 bytes");
        }
        let body =
            Body::dangerous_pre_encoded(body.into_bytes(), ContentTransferEncoding::EightBit);
        let message = Message::builder()
            .message_id(None)
            .from(from.parse()?)
            .to(to.parse()?)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body)?;
        match self {
            Mailer::Outbox(dir) => {
                AsyncFileTransport::<Tokio1Executor>::new(dir)
                    .send(message)
                    .await?;
            }
            Mailer::Smtp(transport) => {
                transport.send(message).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_outbox_holds_one_rfc_5322_file_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let mailer = Mailer::outbox(dir.path().to_path_buf()).unwrap();
        mailer
            .send(
                "Identity <noreply@example.org>",
                "louise@bobs.burgers",
                "Hello",
                format!("Line one\nhttp://x/?a={}\n", "b".repeat(120)),
            )
            .await
            .unwrap();
        let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(files.len(), 1);
        let text = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
        assert!(text.contains("To: louise@bobs.burgers\r\n"), "{text}");
        assert!(text.contains("Subject: Hello\r\n"), "{text}");
        assert!(
            text.contains("\r\n\r\n"),
            "headers end with a blank line: {text}"
        );
        assert!(
            text.contains(&format!("\r\nhttp://x/?a={}\r\n", "b".repeat(120))),
            "links stay whole: {text}"
        );
        assert!(text.contains("Content-Transfer-Encoding: 8bit"), "{text}");
        assert!(text.contains("Message-ID: <"), "{text}");
    }
}
