//! A minimal DNS-over-UDP query for the harness's own checks (readiness, the authoritative
//! poller): builds one question, parses the A records of the answer. Clients do not use it:
//! they go through hickory-resolver and its cache.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::net::UdpSocket;

pub const TYPE_A: u16 = 1;
pub const TYPE_SOA: u16 = 6;

/// What one answer held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub rcode: u8,
    pub answer_count: u16,
    /// A records of the answer section, in order, with their TTLs.
    pub a: Vec<(Ipv4Addr, u32)>,
}

fn encode_query(id: u16, name: &str, qtype: u16, recursion_desired: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&(if recursion_desired { 0x0100u16 } else { 0 }).to_be_bytes());
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        assert!(!label.is_empty() && label.len() < 64, "bad label in {name}");
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out
}

/// Skips a possibly compressed name starting at `pos`; returns the position after it.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    for _ in 0..128 {
        let len = *msg.get(pos)?;
        if len & 0xC0 == 0xC0 {
            return Some(pos + 2);
        }
        if len == 0 {
            return Some(pos + 1);
        }
        pos += 1 + usize::from(len);
    }
    None
}

fn be16(msg: &[u8], pos: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(pos)?, *msg.get(pos + 1)?]))
}

fn decode_answer(id: u16, msg: &[u8]) -> Option<Answer> {
    if be16(msg, 0)? != id || msg.len() < 12 {
        return None;
    }
    let rcode = msg[3] & 0x0F;
    let qd = be16(msg, 4)?;
    let an = be16(msg, 6)?;
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos)? + 4;
    }
    let mut a = Vec::new();
    for _ in 0..an {
        pos = skip_name(msg, pos)?;
        let rtype = be16(msg, pos)?;
        let ttl = u32::from_be_bytes(msg.get(pos + 4..pos + 8)?.try_into().ok()?);
        let rdlen = usize::from(be16(msg, pos + 8)?);
        let rdata = msg.get(pos + 10..pos + 10 + rdlen)?;
        if rtype == TYPE_A && rdlen == 4 {
            a.push((Ipv4Addr::new(rdata[0], rdata[1], rdata[2], rdata[3]), ttl));
        }
        pos += 10 + rdlen;
    }
    Some(Answer { rcode, answer_count: an, a })
}

/// Sends one query and waits up to `timeout` for the matching answer.
pub async fn query(
    server: SocketAddr,
    name: &str,
    qtype: u16,
    recursion_desired: bool,
    id: u16,
    timeout: Duration,
) -> Result<Answer, String> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    socket.connect(server).await.map_err(|e| e.to_string())?;
    let packet = encode_query(id, name, qtype, recursion_desired);
    socket.send(&packet).await.map_err(|e| e.to_string())?;
    let mut buf = [0u8; 1500];
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            Err(_) => return Err(format!("no answer from {server} within {timeout:?}")),
            Ok(Err(e)) => return Err(format!("{server}: {e}")),
            Ok(Ok(n)) => n,
        };
        // A datagram that is not our answer (stale id) is skipped, never trusted.
        if let Some(answer) = decode_answer(id, &buf[..n]) {
            return Ok(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_a_compressed_answer() {
        let mut msg = encode_query(7, "app.test.example.", TYPE_A, false);
        msg[2] = 0x84; // QR + AA
        msg[7] = 1; // one answer
        msg.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 127, 0, 1, 10]);
        let answer = decode_answer(7, &msg).unwrap();
        assert_eq!(answer.a, vec![(Ipv4Addr::new(127, 0, 1, 10), 5)]);
        assert!(decode_answer(8, &msg).is_none());
    }
}
