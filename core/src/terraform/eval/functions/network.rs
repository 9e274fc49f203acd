//! IP network functions: `cidrhost`, `cidrnetmask`, `cidrsubnet`,
//! `cidrsubnets`, on IPv4 and IPv6 prefixes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::value::{Type, Value};
use super::{def, Args, Def, Fail};

pub(super) static DEFS: &[Def] = &[
    def!("cidrhost", ["prefix": Str, "hostnum": Num], |a| {
        let net = Net::parse(a.str(0))?;
        let hostnum = a.num(1).trunc_int().unwrap_or_default();
        let host_bits = net.width - net.len;
        let size = num_bigint::BigInt::from(1u8) << host_bits;
        let n = if hostnum < 0.into() { &size + &hostnum } else { hostnum.clone() };
        if n < 0.into() || n >= size {
            return Err(Fail::Call(format!("prefix of {} does not accommodate a host numbered {}", net.len, hostnum)));
        }
        let offset: u128 = n.try_into().unwrap_or(0);
        Ok(Value::string(net.show(net.base() | offset)))
    }),
    def!("cidrnetmask", ["prefix": Str], |a| {
        let net = Net::parse(a.str(0))?;
        if net.width != 32 {
            return Err(Fail::Call("IPv6 addresses cannot have a netmask".into()));
        }
        Ok(Value::string(Ipv4Addr::from(net.mask() as u32).to_string()))
    }),
    def!("cidrsubnet", ["prefix": Str, "newbits": Num, "netnum": Num], |a| {
        let net = Net::parse(a.str(0))?;
        let newbits = a.int(1)?;
        let netnum = a.num(2).trunc_int().unwrap_or_default();
        if newbits < 0 || net.len + newbits as u32 > net.width {
            return Err(Fail::Call(format!(
                "insufficient address space to extend prefix of {} by {}",
                net.len, newbits
            )));
        }
        let max = num_bigint::BigInt::from(1u8) << newbits as u32;
        if netnum < 0.into() || netnum >= max {
            return Err(Fail::Call(format!(
                "prefix extension of {newbits} does not accommodate a subnet numbered {netnum}"
            )));
        }
        let len = net.len + newbits as u32;
        let n: u128 = netnum.try_into().unwrap_or(0);
        let sub = Net { addr: net.base() | shl(n, net.width - len), len, width: net.width };
        Ok(Value::string(sub.to_string()))
    }),
    def!("cidrsubnets", ["prefix": Str], ...("newbits": Num), |a| subnets(a)),
];

/// A prefix: an address of `width` bits (32 or 128) and a length.
struct Net {
    addr: u128,
    len: u32,
    width: u32,
}

fn shl(v: u128, by: u32) -> u128 {
    if by >= 128 {
        0
    } else {
        v << by
    }
}

impl Net {
    fn parse(s: &str) -> Result<Net, Fail> {
        let bad = || Fail::Arg(0, format!("invalid CIDR address: {s}"));
        let (ip, len) = s.split_once('/').ok_or_else(bad)?;
        if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) || len.len() > 3 {
            return Err(bad());
        }
        let len: u32 = len.parse().map_err(|_| bad())?;
        let (addr, width) = match parse_ip(ip).ok_or_else(bad)? {
            IpAddr::V4(v) => (u32::from(v) as u128, 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        };
        if len > width {
            return Err(bad());
        }
        Ok(Net { addr, len, width })
    }

    fn mask(&self) -> u128 {
        let all = if self.width == 128 {
            u128::MAX
        } else {
            (1u128 << self.width) - 1
        };
        all & !(shl(1, self.width - self.len).wrapping_sub(1))
    }

    fn base(&self) -> u128 {
        self.addr & self.mask()
    }

    fn last(&self) -> u128 {
        self.base() | (shl(1, self.width - self.len).wrapping_sub(1))
    }

    fn show(&self, addr: u128) -> String {
        if self.width == 32 {
            Ipv4Addr::from(addr as u32).to_string()
        } else {
            Ipv6Addr::from(addr).to_string()
        }
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.show(self.base()), self.len)
    }
}

/// Terraform reads addresses with the parser Go had before 1.17, which
/// accepts IPv4 octets with leading zeros as decimal.
fn parse_ip(s: &str) -> Option<IpAddr> {
    if s.contains(':') {
        return s.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let octets: Vec<&str> = s.split('.').collect();
    if octets.len() != 4 {
        return None;
    }
    let mut b = [0u8; 4];
    for (i, o) in octets.iter().enumerate() {
        if o.is_empty() || o.len() > 3 || !o.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        b[i] = o.parse().ok()?;
    }
    Some(IpAddr::V4(Ipv4Addr::from(b)))
}

fn subnets(a: &Args) -> Result<Value, Fail> {
    let net = Net::parse(a.str(0))?;
    let bits = a.rest(1);
    if bits.is_empty() {
        return Ok(Value::list(Type::String, Vec::new()));
    }
    let first_len = net.len as i64 + a.int(1)?;
    if first_len < 1 || first_len > net.width as i64 {
        return Err(Fail::Arg(
            1,
            format!(
                "would extend prefix to {first_len} bits, which is too long for an IPv{} address",
                if net.width == 32 { 4 } else { 6 }
            ),
        ));
    }
    // The subnet just before the prefix's first one of that length.
    let mut current = Net {
        addr: net.base().wrapping_sub(1) & width_mask(net.width),
        len: first_len as u32,
        width: net.width,
    };
    current.addr = current.base();
    let mut out = Vec::with_capacity(bits.len());
    for i in 0..bits.len() {
        let len = net.len as i64 + a.int(i + 1)?;
        if len < 1 {
            return Err(Fail::Arg(
                i + 1,
                "must extend prefix by at least one bit".into(),
            ));
        }
        if len > net.width as i64 {
            return Err(Fail::Arg(
                i + 1,
                format!(
                    "would extend prefix to {len} bits, which is too long for an IPv{} address",
                    if net.width == 32 { 4 } else { 6 }
                ),
            ));
        }
        let probe = Net {
            addr: current.last(),
            len: len as u32,
            width: net.width,
        };
        let after = probe.last().wrapping_add(1) & width_mask(net.width);
        let next = Net {
            addr: after,
            len: len as u32,
            width: net.width,
        };
        let next = Net {
            addr: next.base(),
            ..next
        };
        let inside = next.addr & net.mask() == net.base();
        if after == 0 || !inside {
            return Err(Fail::Arg(i + 1, format!("not enough remaining address space for a subnet with a prefix of {len} bits after {current}")));
        }
        current = next;
        out.push(Value::string(current.to_string()));
    }
    Ok(Value::list(Type::String, out))
}

fn width_mask(width: u32) -> u128 {
    if width == 128 {
        u128::MAX
    } else {
        (1u128 << width) - 1
    }
}
