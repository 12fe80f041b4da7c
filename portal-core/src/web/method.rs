//! The request method, as far as Portal tells methods apart, and the set of them a
//! path answers to.

/// An HTTP method, as far as Portal tells them apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    #[default]
    Get,
    /// `HEAD`.
    Head,
    /// `POST`.
    Post,
    /// `PUT`.
    Put,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// Any other (Portal answers it 405 or 404).
    Other,
}

impl Method {
    /// The method named `name` (methods are case-sensitive).
    #[must_use]
    pub fn parse(name: &str) -> Method {
        match name {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }

    /// Its name (`OTHER` for any other).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Other => "OTHER",
        }
    }
}

/// The methods a path has routes for, for the `Allow` header of a 405.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Allow(u8);

impl Allow {
    /// In the order they are listed.
    const METHODS: [Method; 7] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
        Method::Options,
    ];

    pub(super) fn add(&mut self, method: Method) {
        // A HEAD is answered wherever a GET is.
        if method == Method::Get {
            self.add(Method::Head);
        }
        if let Some(i) = Self::METHODS.iter().position(|m| *m == method) {
            self.0 |= 1 << i;
        }
    }
}

impl std::fmt::Display for Allow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names = Self::METHODS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, m)| m.as_str());
        if let Some(first) = names.next() {
            f.write_str(first)?;
        }
        names.try_for_each(|name| write!(f, ", {name}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_lists_head_beside_get_in_a_fixed_order() {
        let mut allow = Allow::default();
        allow.add(Method::Post);
        allow.add(Method::Get);
        allow.add(Method::Other);
        assert_eq!(allow.to_string(), "GET, HEAD, POST");
        assert_eq!(Allow::default().to_string(), "");
    }
}
