use std::fmt;

/// The id of a customer account. Accounts are named by the admin command; requests never name one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// 1–64 characters of `[A-Za-z0-9_-]`, so an account id is safe inside a DynamoDB key and a log line.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err("An account id is 1-64 characters of letters, digits, '_' and '-'".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_simple_ids_and_refuses_key_separators() {
        assert!(AccountId::parse("dev").is_ok());
        assert!(AccountId::parse("acct_42-x").is_ok());
        assert!(AccountId::parse("").is_err());
        assert!(AccountId::parse("a#b").is_err());
        assert!(AccountId::parse(&"a".repeat(65)).is_err());
    }
}
