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

    /// Speaks just enough SMTP to take one message; sends back what the DATA held.
    async fn fake_smtp_relay() -> (u16, tokio::sync::oneshot::Receiver<String>) {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (delivered, received) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let (reader, mut writer) = stream.into_split();
            let mut lines = BufReader::new(reader).lines();
            writer.write_all(b"220 fake ESMTP\r\n").await.unwrap();
            let (mut data, mut in_data) = (String::new(), false);
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        writer.write_all(b"250 queued\r\n").await.unwrap();
                        let _ = delivered.send(data);
                        return;
                    }
                    data.push_str(&line);
                    data.push('\n');
                    continue;
                }
                let reply: &[u8] = match line.to_uppercase().split(' ').next().unwrap_or_default() {
                    "EHLO" => b"250-fake\r\n250 8BITMIME\r\n",
                    "DATA" => {
                        in_data = true;
                        b"354 go on\r\n"
                    }
                    _ => b"250 ok\r\n",
                };
                writer.write_all(reply).await.unwrap();
            }
        });
        (port, received)
    }

    #[tokio::test]
    async fn smtp_delivers_the_message_to_the_relay() {
        let (port, received) = fake_smtp_relay().await;
        let mailer = Mailer::smtp(&format!("smtp://127.0.0.1:{port}")).unwrap();
        mailer
            .send(
                "Identity <noreply@example.org>",
                "louise@bobs.burgers",
                "Hello",
                "the link\n".into(),
            )
            .await
            .unwrap();
        let message = received.await.unwrap();
        assert!(message.contains("To: louise@bobs.burgers"), "{message}");
        assert!(message.contains("the link"), "{message}");
        assert!(Mailer::smtp("http://relay").is_err(), "only smtp:// URLs");
    }
}
