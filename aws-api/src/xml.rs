//! AWS's XML shapes: `<XResponse xmlns=…><XResult>…</XResult><ResponseMetadata>
//! <RequestId>…` and `<ErrorResponse><Error><Type/><Code/><Message/></Error>
//! <RequestId/>`. Written by hand: a few elements, always escaped.

use time::OffsetDateTime;

/// A namespace of a Query API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Iam,
    Sts,
}

impl Api {
    pub fn namespace(self) -> &'static str {
        match self {
            Api::Iam => "https://iam.amazonaws.com/doc/2010-05-08/",
            Api::Sts => "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Api::Iam => "2010-05-08",
            Api::Sts => "2011-06-15",
        }
    }

    /// The name policies and the audit log use (`iam`, `sts`).
    pub fn service(self) -> &'static str {
        match self {
            Api::Iam => "iam",
            Api::Sts => "sts",
        }
    }
}

/// Text escaped for an element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// ISO 8601 in UTC, as AWS writes dates: `2026-12-03T11:46:51Z`.
pub fn date(t: OffsetDateTime) -> String {
    service::format::iso8601(t, "Z")
}

/// Builds the body of a result element.
#[derive(Default)]
pub struct Xml(String);

impl Xml {
    pub fn new() -> Xml {
        Xml::default()
    }

    /// `<name>text</name>`.
    pub fn text(&mut self, name: &str, text: &str) -> &mut Xml {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self.0.push_str(&escape(text));
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// Escaped text inside the current element (a list of strings' members).
    pub fn escaped(&mut self, text: &str) -> &mut Xml {
        self.0.push_str(&escape(text));
        self
    }

    /// `<name>…</name>` around what `inner` writes.
    pub fn element(&mut self, name: &str, inner: impl FnOnce(&mut Xml)) -> &mut Xml {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        inner(self);
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    /// `<name><member>…</member>…</name>`, AWS's list shape.
    pub fn list<T>(
        &mut self,
        name: &str,
        items: impl IntoIterator<Item = T>,
        mut each: impl FnMut(&mut Xml, T),
    ) -> &mut Xml {
        self.element(name, |x| {
            for item in items {
                x.element("member", |x| each(x, item));
            }
        })
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A whole successful response; `result` is `None` for actions without a result
/// element (`DeleteUser`, `AddUserToGroup`).
pub fn response(api: Api, action: &str, result: Option<Xml>, request_id: &str) -> String {
    let ns = api.namespace();
    let result = match result {
        Some(body) => format!("<{action}Result>{}</{action}Result>", body.into_string()),
        None => String::new(),
    };
    format!(
        "<{action}Response xmlns=\"{ns}\">{result}<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>\n"
    )
}

/// AWS's error document.
pub fn error(api: Api, kind: &str, code: &str, message: &str, request_id: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"{}\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>\n",
        api.namespace(),
        escape(message)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut x = Xml::new();
        x.text("UserName", "a<b&c");
        let body = response(Api::Iam, "GetUser", Some(x), "r1");
        assert_eq!(
            body,
            "<GetUserResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><GetUserResult><UserName>a&lt;b&amp;c</UserName></GetUserResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetUserResponse>\n"
        );
        let none = response(Api::Iam, "DeleteUser", None, "r2");
        assert!(none.starts_with("<DeleteUserResponse xmlns="));
        assert!(!none.contains("Result"));
        let t = OffsetDateTime::from_unix_timestamp(1_440_938_160)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(date(t), "2015-08-30T12:36:00Z");
    }
}
