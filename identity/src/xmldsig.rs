//! XML signatures (XML-DSig) as SAML identity providers make them: one enveloped
//! signature over the element it sits in, exclusive canonicalisation, RSA with
//! SHA-256, -384 or -512. Only that shape is accepted; anything else (other
//! transforms, SHA-1, several references, a reference to another element) is refused
//! by name rather than guessed at, because every option an XML signature offers has
//! been an attack on some SAML library.
//!
//! The caller reads the data only from the element verified here, never from
//! elsewhere in the document (signature wrapping), and reads a text as all of its
//! text nodes together, as canonicalisation saw it (comments split text nodes).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use roxmltree::{Node, NodeType};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::{Digest, Sha256, Sha384, Sha512};
use rsa::signature::Verifier;
use rsa::RsaPublicKey;

pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const EXC_C14N_COMMENTS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the element carries no signature")]
    Unsigned,
    #[error("the signature is malformed: {0}")]
    Malformed(&'static str),
    #[error("the signature uses {0}, which is not accepted (sign with RSA and SHA-256, exclusive canonicalisation)")]
    Algorithm(String),
    #[error("the signed content was changed after signing (digest mismatch)")]
    Digest,
    #[error("the signature does not verify with any of the provider's signing certificates")]
    BadSignature,
}

/// Which hash a signature or digest uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha384 => Sha384::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    fn of_digest(uri: &str) -> Result<Hash, SignatureError> {
        match uri {
            "http://www.w3.org/2001/04/xmlenc#sha256" => Ok(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#sha384" => Ok(Hash::Sha384),
            "http://www.w3.org/2001/04/xmlenc#sha512" => Ok(Hash::Sha512),
            other => Err(SignatureError::Algorithm(format!("the digest {other}"))),
        }
    }

    fn of_signature(uri: &str) -> Result<Hash, SignatureError> {
        match uri {
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => Ok(Hash::Sha256),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => Ok(Hash::Sha384),
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => Ok(Hash::Sha512),
            other => Err(SignatureError::Algorithm(format!(
                "the signature method {other}"
            ))),
        }
    }

    fn verify(self, key: &RsaPublicKey, data: &[u8], signature: &Signature) -> bool {
        let key = key.clone();
        match self {
            Hash::Sha256 => VerifyingKey::<Sha256>::new(key).verify(data, signature),
            Hash::Sha384 => VerifyingKey::<Sha384>::new(key).verify(data, signature),
            Hash::Sha512 => VerifyingKey::<Sha512>::new(key).verify(data, signature),
        }
        .is_ok()
    }
}

/// The child elements of `node` named `name` in `ns`.
pub fn children<'a, 'i>(
    node: Node<'a, 'i>,
    ns: &'a str,
    name: &'a str,
) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| {
        c.is_element() && c.tag_name().namespace() == Some(ns) && c.tag_name().name() == name
    })
}

/// The one child element `name` in `ns`, or an error naming it.
pub fn only_child<'a, 'i>(node: Node<'a, 'i>, ns: &'a str, name: &'a str) -> Option<Node<'a, 'i>> {
    let mut found = children(node, ns, name);
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// All the text inside `node`, as canonicalisation sees it: a comment splits a
/// text in two, and both halves are the text (reading only the first is the attack
/// that made `admin@example.com<!---->.evil.example` read as `admin@example.com`).
pub fn text_of(node: Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// How deeply the document's elements nest, found without recursion.
pub fn depth(document: &roxmltree::Document) -> usize {
    let mut depths = vec![0usize; document.descendants().count()];
    let mut deepest = 0;
    for node in document.descendants() {
        let parent = node
            .parent()
            .and_then(|p| depths.get(p.id().get_usize()).copied())
            .unwrap_or(0);
        let here = parent + 1;
        if let Some(slot) = depths.get_mut(node.id().get_usize()) {
            *slot = here;
        }
        deepest = deepest.max(here);
    }
    deepest
}

/// The qualified name of an element as written (`saml:Assertion`): roxmltree
/// resolves names to namespaces, but canonical XML keeps the document's prefixes.
fn element_qname<'i>(node: Node<'_, 'i>) -> &'i str {
    let input = node.document().input_text();
    let start = node.range().start + 1;
    let rest = input.get(start..).unwrap_or_default();
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or_default()
}

fn prefix_of(qname: &str) -> Option<&str> {
    qname.split_once(':').map(|(prefix, _)| prefix)
}

fn escape_text(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_attribute(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#x9;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

/// How to canonicalise: exclusive XML canonicalisation 1.0, with or without
/// comments, with the `InclusiveNamespaces` prefixes treated inclusively.
#[derive(Debug, Clone, Default)]
pub struct Canonicalization {
    pub with_comments: bool,
    /// Prefixes from `InclusiveNamespaces PrefixList`; `None` is `#default`.
    pub inclusive: Vec<Option<String>>,
}

impl Canonicalization {
    /// The method named by an algorithm element (`CanonicalizationMethod` or
    /// `Transform`), with its `InclusiveNamespaces`.
    fn of(element: Node) -> Result<Canonicalization, SignatureError> {
        let algorithm = element
            .attribute("Algorithm")
            .ok_or(SignatureError::Malformed(
                "an algorithm element has no Algorithm",
            ))?;
        let with_comments = match algorithm {
            EXC_C14N => false,
            EXC_C14N_COMMENTS => true,
            other => {
                return Err(SignatureError::Algorithm(format!(
                    "the canonicalisation {other}"
                )))
            }
        };
        let inclusive = children(element, EXC_C14N, "InclusiveNamespaces")
            .filter_map(|n| n.attribute("PrefixList"))
            .flat_map(|list| list.split_whitespace())
            .map(|p| (p != "#default").then(|| p.to_string()))
            .collect();
        Ok(Canonicalization {
            with_comments,
            inclusive,
        })
    }

    /// The canonical form of the subtree at `apex`, leaving out `omit` (the
    /// enveloped signature) and everything in it.
    pub fn apply(&self, apex: Node, omit: Option<Node>) -> String {
        let mut out = String::new();
        let mut rendered: Vec<Vec<(Option<String>, String)>> = Vec::new();
        self.node(apex, omit, &mut rendered, &mut out);
        out
    }

    /// The namespace a prefix has in the nearest output ancestor that rendered it.
    fn rendered_uri<'r>(
        rendered: &'r [Vec<(Option<String>, String)>],
        prefix: &Option<String>,
    ) -> Option<&'r str> {
        rendered
            .iter()
            .rev()
            .flat_map(|level| level.iter())
            .find(|(p, _)| p == prefix)
            .map(|(_, uri)| uri.as_str())
    }

    fn node(
        &self,
        node: Node,
        omit: Option<Node>,
        rendered: &mut Vec<Vec<(Option<String>, String)>>,
        out: &mut String,
    ) {
        if omit.is_some_and(|o| o == node) {
            return;
        }
        match node.node_type() {
            NodeType::Text => escape_text(node.text().unwrap_or_default(), out),
            NodeType::Comment => {
                if self.with_comments {
                    out.push_str("<!--");
                    out.push_str(node.text().unwrap_or_default());
                    out.push_str("-->");
                }
            }
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    out.push_str("<?");
                    out.push_str(pi.target);
                    if let Some(value) = pi.value {
                        out.push(' ');
                        out.push_str(value);
                    }
                    out.push_str("?>");
                }
            }
            NodeType::Root => {
                for child in node.children() {
                    self.node(child, omit, rendered, out);
                }
            }
            NodeType::Element => self.element(node, omit, rendered, out),
        }
    }

    fn element(
        &self,
        node: Node,
        omit: Option<Node>,
        rendered: &mut Vec<Vec<(Option<String>, String)>>,
        out: &mut String,
    ) {
        let qname = element_qname(node);
        // The prefixes this element uses visibly (its own and its attributes'),
        // then those the InclusiveNamespaces list names, when in scope.
        let mut wanted: Vec<Option<String>> = vec![prefix_of(qname).map(str::to_string)];
        let input = node.document().input_text();
        let mut attributes: Vec<(&str, &str, &str, &str)> = Vec::new();
        for attr in node.attributes() {
            let qname = input.get(attr.range_qname()).unwrap_or(attr.name());
            if let Some(prefix) = prefix_of(qname) {
                if prefix != "xml" {
                    wanted.push(Some(prefix.to_string()));
                }
            }
            attributes.push((
                attr.namespace().unwrap_or(""),
                attr.name(),
                qname,
                attr.value(),
            ));
        }
        for prefix in &self.inclusive {
            if node.lookup_namespace_uri(prefix.as_deref()).is_some() {
                wanted.push(prefix.clone());
            }
        }
        wanted.sort();
        wanted.dedup();
        let mut declarations: Vec<(Option<String>, String)> = Vec::new();
        for prefix in wanted {
            let uri = node
                .lookup_namespace_uri(prefix.as_deref())
                .unwrap_or_default()
                .to_string();
            let before = Self::rendered_uri(rendered, &prefix);
            let render = match (&prefix, before) {
                // An empty default namespace is only said to undo a rendered one.
                (None, None) => !uri.is_empty(),
                (_, Some(before)) => before != uri,
                (Some(_), None) => !uri.is_empty(),
            };
            if render {
                declarations.push((prefix, uri));
            }
        }
        out.push('<');
        out.push_str(qname);
        for (prefix, uri) in &declarations {
            match prefix {
                None => out.push_str(" xmlns=\""),
                Some(p) => {
                    out.push_str(" xmlns:");
                    out.push_str(p);
                    out.push_str("=\"");
                }
            }
            escape_attribute(uri, out);
            out.push('"');
        }
        attributes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, qname, value) in attributes {
            out.push(' ');
            out.push_str(qname);
            out.push_str("=\"");
            escape_attribute(value, out);
            out.push('"');
        }
        out.push('>');
        rendered.push(declarations);
        for child in node.children() {
            self.node(child, omit, rendered, out);
        }
        rendered.pop();
        out.push_str("</");
        out.push_str(qname);
        out.push('>');
    }
}

fn dsig_child<'a, 'i>(
    node: Node<'a, 'i>,
    name: &'static str,
) -> Result<Node<'a, 'i>, SignatureError> {
    only_child(node, DSIG_NS, name).ok_or(SignatureError::Malformed(match name {
        "SignedInfo" => "there must be one SignedInfo",
        "SignatureValue" => "there must be one SignatureValue",
        "CanonicalizationMethod" => "there must be one CanonicalizationMethod",
        "SignatureMethod" => "there must be one SignatureMethod",
        "Reference" => "there must be exactly one Reference",
        "DigestMethod" => "the Reference needs one DigestMethod",
        "DigestValue" => "the Reference needs one DigestValue",
        "Transforms" => "the Reference needs its Transforms",
        _ => "an element is missing or repeated",
    }))
}

fn base64_of(node: Node) -> Result<Vec<u8>, SignatureError> {
    let text: String = text_of(node)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD
        .decode(text)
        .map_err(|_| SignatureError::Malformed("a value is not base64"))
}

/// The enveloped signature of `element` (its `ds:Signature` child), if it has one.
pub fn signature_of<'a, 'i>(element: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    children(element, DSIG_NS, "Signature").next()
}

/// Checks the enveloped signature of `element` against `keys`: the one reference
/// must name `element` by its `ID`, the digest must be of `element` without the
/// signature, and the signature over `SignedInfo` must verify with one of the keys.
/// The caller makes sure IDs are unique in the document.
pub fn verify_enveloped(element: Node, keys: &[RsaPublicKey]) -> Result<(), SignatureError> {
    let mut signatures = children(element, DSIG_NS, "Signature");
    let signature = signatures.next().ok_or(SignatureError::Unsigned)?;
    if signatures.next().is_some() {
        return Err(SignatureError::Malformed(
            "an element may carry one signature",
        ));
    }
    let signed_info = dsig_child(signature, "SignedInfo")?;
    let method = Canonicalization::of(dsig_child(signed_info, "CanonicalizationMethod")?)?;
    let hash = Hash::of_signature(
        dsig_child(signed_info, "SignatureMethod")?
            .attribute("Algorithm")
            .unwrap_or_default(),
    )?;
    let reference = dsig_child(signed_info, "Reference")?;
    let id = element
        .attribute("ID")
        .ok_or(SignatureError::Malformed("the signed element has no ID"))?;
    if reference.attribute("URI").and_then(|u| u.strip_prefix('#')) != Some(id) {
        return Err(SignatureError::Malformed(
            "the reference does not name the element the signature is in",
        ));
    }
    let transforms: Vec<Node> =
        children(dsig_child(reference, "Transforms")?, DSIG_NS, "Transform").collect();
    let (enveloped, c14n) =
        match transforms.as_slice() {
            [first, second] => (first, second),
            _ => return Err(SignatureError::Malformed(
                "the transforms must be the enveloped signature, then exclusive canonicalisation",
            )),
        };
    if enveloped.attribute("Algorithm") != Some(ENVELOPED) {
        return Err(SignatureError::Algorithm(format!(
            "the transform {}",
            enveloped.attribute("Algorithm").unwrap_or_default()
        )));
    }
    let content_method = Canonicalization::of(*c14n)?;
    let digest_hash = Hash::of_digest(
        dsig_child(reference, "DigestMethod")?
            .attribute("Algorithm")
            .unwrap_or_default(),
    )?;
    let expected = base64_of(dsig_child(reference, "DigestValue")?)?;
    let content = content_method.apply(element, Some(signature));
    if digest_hash.digest(content.as_bytes()) != expected {
        return Err(SignatureError::Digest);
    }
    let value = base64_of(dsig_child(signature, "SignatureValue")?)?;
    let value = Signature::try_from(value.as_slice())
        .map_err(|_| SignatureError::Malformed("the signature value is not an RSA signature"))?;
    let signed = method.apply(signed_info, None);
    if keys
        .iter()
        .any(|key| hash.verify(key, signed.as_bytes(), &value))
    {
        Ok(())
    } else {
        Err(SignatureError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(xml: &str, name: &str, inclusive: &[Option<&str>]) -> String {
        let document = roxmltree::Document::parse(xml).unwrap();
        let apex = document
            .descendants()
            .find(|n| n.is_element() && n.tag_name().name() == name)
            .unwrap();
        Canonicalization {
            with_comments: false,
            inclusive: inclusive.iter().map(|p| p.map(str::to_string)).collect(),
        }
        .apply(apex, None)
    }

    #[test]
    fn the_specifications_example_renders_only_namespaces_in_use() {
        // Exclusive XML Canonicalization 1.0, section 2.2: the same subtree in two
        // documents canonicalises the same, without the unused n0 and n3 above it.
        let first = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
    <n3:stuff xmlns:n3="ftp://example.org"/>
  </n1:elem2></n0:local>"#;
        let second = r#"<n2:pdu xmlns:n1="http://example.com" xmlns:n2="http://foo.example" xml:lang="fr" xml:space="retain"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en">
    <n3:stuff xmlns:n3="ftp://example.org"/>
  </n1:elem2></n2:pdu>"#;
        let expected = "<n1:elem2 xmlns:n1=\"http://example.net\" xml:lang=\"en\">\n    <n3:stuff xmlns:n3=\"ftp://example.org\"></n3:stuff>\n  </n1:elem2>";
        assert_eq!(canonical(first, "elem2", &[]), expected);
        assert_eq!(canonical(second, "elem2", &[]), expected);
        // Listed as inclusive, an unused prefix in scope is rendered at the apex.
        assert_eq!(
            canonical(first, "elem2", &[Some("n3")]),
            expected
                .replace(
                    "<n1:elem2 xmlns:n1=\"http://example.net\"",
                    "<n1:elem2 xmlns:n1=\"http://example.net\" xmlns:n3=\"ftp://example.org\""
                )
                .replace("<n3:stuff xmlns:n3=\"ftp://example.org\">", "<n3:stuff>")
        );
    }

    #[test]
    fn default_namespaces_attributes_and_text_follow_the_rules() {
        let xml = r#"<a xmlns="urn:a"><b xmlns=""><c/></b></a>"#;
        assert_eq!(
            canonical(xml, "a", &[]),
            r#"<a xmlns="urn:a"><b xmlns=""><c></c></b></a>"#
        );
        assert_eq!(canonical(xml, "b", &[]), "<b><c></c></b>");
        let attributes = "<e xmlns:z=\"urn:z\" xmlns:a=\"urn:a\" b=\"2\" a:y=\"1\" z:x=\"&quot;&#9;\" c=\"&lt;&gt;\"/>";
        assert_eq!(
            canonical(attributes, "e", &[]),
            "<e xmlns:a=\"urn:a\" xmlns:z=\"urn:z\" b=\"2\" c=\"&lt;>\" a:y=\"1\" z:x=\"&quot;&#x9;\"></e>"
        );
        let text = "<t>a &amp; b &lt; c &gt; d&#13;<![CDATA[<x>]]><!-- gone --><?keep this?></t>";
        assert_eq!(
            canonical(text, "t", &[]),
            "<t>a &amp; b &lt; c &gt; d&#xD;&lt;x&gt;<?keep this?></t>"
        );
    }

    #[test]
    fn only_the_accepted_algorithms_pass() {
        for (uri, ok) in [
            ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", true),
            ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", true),
            ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", false),
            ("http://www.w3.org/2000/09/xmldsig#hmac-sha1", false),
        ] {
            assert_eq!(Hash::of_signature(uri).is_ok(), ok, "{uri}");
        }
        assert!(Hash::of_digest("http://www.w3.org/2000/09/xmldsig#sha1").is_err());
        assert!(Hash::of_digest("http://www.w3.org/2001/04/xmlenc#sha256").is_ok());
    }
}
