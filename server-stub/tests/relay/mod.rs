//! An SMTP relay on loopback for the tests, speaking as much SMTP as lettre needs to hand
//! over one message: implicit TLS or STARTTLS with a certificate from a test CA, `AUTH
//! PLAIN` once the connection is encrypted, and `DATA`.

use std::sync::Arc;

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::oneshot;

/// A CA made for one test, and the relay certificate it signed, for `127.0.0.1`, `::1` and
/// `localhost`.
pub struct Authority {
    /// The CA's certificate, to trust with `--smtp-ca-file`.
    pub ca_pem: String,
    relay_tls: Arc<rustls::ServerConfig>,
}

impl Authority {
    pub fn new() -> Authority {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "server-stub test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let relay_key = KeyPair::generate().unwrap();
        let names = ["127.0.0.1", "::1", "localhost"].map(String::from).to_vec();
        let relay = CertificateParams::new(names)
            .unwrap()
            .signed_by(&relay_key, &issuer)
            .unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let relay_tls = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![relay.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(relay_key.serialize_der())),
            )
            .unwrap();
        Authority {
            ca_pem: ca.pem(),
            relay_tls: Arc::new(relay_tls),
        }
    }
}

/// How the relay secures its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Never: no STARTTLS in its EHLO.
    Plaintext,
    /// STARTTLS, offered in its EHLO.
    StartTls,
    /// TLS from the first byte.
    Tls,
}

/// What the relay was handed.
#[derive(Debug)]
pub struct Delivery {
    /// The DATA, lines joined by `\n`.
    pub message: String,
    /// Whether it came over TLS.
    pub encrypted: bool,
    /// `AUTH PLAIN`'s `authzid\0username\0password`, if the client logged in.
    pub login: Option<String>,
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// Listens on `host` (`127.0.0.1` or `::1`) and takes one connection; the receiver gets the
/// message if one is handed over, and an error if the client goes away first.
pub async fn start(
    host: &str,
    offer: Offer,
    authority: &Authority,
) -> (u16, oneshot::Receiver<Delivery>) {
    let listener = tokio::net::TcpListener::bind((host, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(authority.relay_tls.clone());
    let (delivered, received) = oneshot::channel();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ = converse(tcp, offer, acceptor, delivered).await;
    });
    (port, received)
}

async fn converse(
    tcp: tokio::net::TcpStream,
    offer: Offer,
    acceptor: tokio_rustls::TlsAcceptor,
    delivered: oneshot::Sender<Delivery>,
) -> std::io::Result<()> {
    let mut encrypted = offer == Offer::Tls;
    let stream: Box<dyn Stream> = if encrypted {
        Box::new(acceptor.accept(tcp).await?)
    } else {
        Box::new(tcp)
    };
    let mut stream = BufReader::new(stream);
    stream.write_all(b"220 relay ESMTP\r\n").await?;
    let mut login = None;
    loop {
        let line = read_line(&mut stream).await?;
        let (verb, argument) = line.split_once(' ').unwrap_or((&line, ""));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                let mut reply = String::from("250-relay\r\n");
                if offer == Offer::StartTls && !encrypted {
                    reply.push_str("250-STARTTLS\r\n");
                }
                if encrypted {
                    reply.push_str("250-AUTH PLAIN\r\n");
                }
                reply.push_str("250 8BITMIME\r\n");
                stream.write_all(reply.as_bytes()).await?;
            }
            "STARTTLS" if offer == Offer::StartTls && !encrypted => {
                stream.write_all(b"220 go ahead\r\n").await?;
                // The client waits for the 220 before it starts TLS: nothing is buffered.
                let plain = stream.into_inner();
                stream = BufReader::new(Box::new(acceptor.accept(plain).await?));
                encrypted = true;
            }
            "AUTH" if encrypted => {
                let response = argument.strip_prefix("PLAIN ").unwrap_or_default();
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(response)
                    .unwrap_or_default();
                login = Some(String::from_utf8_lossy(&decoded).into_owned());
                stream.write_all(b"235 welcome\r\n").await?;
            }
            "DATA" => {
                stream.write_all(b"354 go on\r\n").await?;
                let mut message = String::new();
                loop {
                    let line = read_line(&mut stream).await?;
                    if line == "." {
                        break;
                    }
                    message.push_str(&line);
                    message.push('\n');
                }
                stream.write_all(b"250 queued\r\n").await?;
                let _ = delivered.send(Delivery {
                    message,
                    encrypted,
                    login: login.take(),
                });
                return Ok(());
            }
            "MAIL" | "RCPT" | "RSET" | "NOOP" => stream.write_all(b"250 ok\r\n").await?,
            _ => stream.write_all(b"502 not here\r\n").await?,
        }
    }
}

async fn read_line(stream: &mut BufReader<Box<dyn Stream>>) -> std::io::Result<String> {
    let mut line = String::new();
    if stream.read_line(&mut line).await? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// An HTTPS server on `127.0.0.1` with the authority's certificate, answering every
/// request with `200` and `json`: a homeserver as far as one call needs. Its port.
pub async fn https_json(authority: &Authority, json: String) -> u16 {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tokio_rustls::TlsAcceptor::from(authority.relay_tls.clone());
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, json) = (acceptor.clone(), json.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut stream = BufReader::new(Box::new(tls) as Box<dyn Stream>);
                loop {
                    let Ok(line) = read_line(&mut stream).await else {
                        return;
                    };
                    if line.is_empty() {
                        break;
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                    json.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    port
}
