//! A software passkey authenticator for the HTTP tests: it reads the
//! options the server sends, as a browser passes them on, and answers with
//! a real P-256 key pair, signatures and CBOR, in the JSON a browser's
//! `credential.toJSON()` gives. It keeps one discoverable credential with
//! its user handle, verifies its user (the UV flag) and counts signatures.
//! The server's checks (webauthn-rs) are the real ones.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// User present, user verified, attested credential data.
const FLAGS_CREATE: u8 = 0x01 | 0x04 | 0x40;
const FLAGS_GET: u8 = 0x01 | 0x04;

#[derive(Clone)]
pub struct SoftPasskey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    rp_id: String,
    counter: u32,
    /// Whether it sets the user-verified flag.
    pub verifies_user: bool,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("randomness");
    bytes
}

/// A CBOR byte string.
fn cbor_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = match bytes.len() {
        len @ 0..=23 => vec![0x40 | len as u8],
        len @ 24..=255 => vec![0x58, len as u8],
        len => {
            let len = u16::try_from(len).expect("short");
            vec![0x59, (len >> 8) as u8, len as u8]
        }
    };
    out.extend_from_slice(bytes);
    out
}

/// A short CBOR text string.
fn cbor_text(text: &str) -> Vec<u8> {
    assert!(text.len() < 24);
    let mut out = vec![0x60 | text.len() as u8];
    out.extend_from_slice(text.as_bytes());
    out
}

fn client_data(kind: &str, challenge: &str, origin: &str) -> Vec<u8> {
    json!({"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": false})
        .to_string()
        .into_bytes()
}

impl SoftPasskey {
    /// Makes a credential for the registration `options` (the JSON the
    /// server sent) at `origin`; returns it and the browser's answer.
    pub fn create(options: &str, origin: &str) -> (Self, String) {
        let options: Value = serde_json::from_str(options).expect("options JSON");
        let selection = &options["authenticatorSelection"];
        assert_eq!(selection["residentKey"], "required", "{options}");
        assert_eq!(selection["userVerification"], "required", "{options}");
        let rp_id = options["rp"]["id"].as_str().expect("rp.id").to_owned();
        let challenge = options["challenge"].as_str().expect("challenge");
        let key = SigningKey::from_slice(&random::<32>()).expect("P-256 key");
        let passkey = Self {
            key,
            credential_id: random::<16>().to_vec(),
            user_handle: unb64(options["user"]["id"].as_str().expect("user.id")),
            rp_id,
            counter: 0,
            verifies_user: true,
        };
        let point = passkey.key.verifying_key().to_sec1_point(false);
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        cose.extend(cbor_bytes(point.x().expect("x")));
        cose.push(0x22);
        cose.extend(cbor_bytes(point.y().expect("y")));
        let mut auth_data = passkey.auth_data_head(FLAGS_CREATE, 0);
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(passkey.credential_id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&passkey.credential_id);
        auth_data.extend(cose);
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes(&auth_data));
        let id = b64(&passkey.credential_id);
        let answer = json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data("webauthn.create", challenge, origin)),
                "attestationObject": b64(&attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        });
        (passkey, answer.to_string())
    }

    /// Signs the log-in or sudo `options` at `origin`; returns the
    /// browser's answer.
    pub fn get(&mut self, options: &str, origin: &str) -> String {
        let options: Value = serde_json::from_str(options).expect("options JSON");
        assert_eq!(options["rpId"], self.rp_id.as_str(), "{options}");
        assert_eq!(options["userVerification"], "required", "{options}");
        if let Some(allowed) = options["allowCredentials"].as_array() {
            let id = b64(&self.credential_id);
            assert!(
                allowed.is_empty() || allowed.iter().any(|entry| entry["id"] == id.as_str()),
                "not an allowed credential: {options}"
            );
        }
        let challenge = options["challenge"].as_str().expect("challenge");
        self.counter += 1;
        let flags = if self.verifies_user {
            FLAGS_GET
        } else {
            FLAGS_GET & !0x04
        };
        let auth_data = self.auth_data_head(flags, self.counter);
        let client_data = client_data("webauthn.get", challenge, origin);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let signature: DerSignature = self.key.sign(&signed);
        let id = b64(&self.credential_id);
        json!({
            "id": id,
            "rawId": id,
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_bytes()),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
        })
        .to_string()
    }

    fn auth_data_head(&self, flags: u8, counter: u32) -> Vec<u8> {
        let mut data = Sha256::digest(self.rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        data
    }
}
