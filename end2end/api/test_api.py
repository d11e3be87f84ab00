#!/usr/bin/env python3
"""The AWS-compatible API driven by the real clients, unchanged: boto3 and the aws CLI.

Run by scripts/test against a server started with a bootstrap root access key
(PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID / _SECRET_ACCESS_KEY). Every check is an
assert; the first failure stops the run with its reason.
"""
import json
import os
import subprocess
import sys
import urllib.request
import urllib.error

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

URL = os.environ["PORTCULLIS_URL"]
ROOT_KEY = os.environ["PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID"]
ROOT_SECRET = os.environ["PORTCULLIS_BOOTSTRAP_ROOT_SECRET_ACCESS_KEY"]
AWS_CLI = os.environ.get("AWS_CLI", "aws")
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def totp(seed_base32, at):
    """RFC 6238 with SHA-1 and six digits, as authenticator apps compute it."""
    import base64, hashlib, hmac, struct
    key = base64.b32decode(seed_base32 + "=" * (-len(seed_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def client(service, key, secret):
    return boto3.client(
        service,
        endpoint_url=URL,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=NO_RETRIES,
    )


def expect_error(code, call, *args, message=None, **kwargs):
    try:
        call(*args, **kwargs)
    except ClientError as e:
        error = e.response["Error"]
        assert error["Code"] == code, f"expected {code}, got {error}"
        if message is not None:
            assert error["Message"] == message, f"expected {message!r}, got {error['Message']!r}"
        return error
    raise AssertionError(f"expected {code}, the call succeeded")


def cli(*args, key=ROOT_KEY, secret=ROOT_SECRET):
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
               AWS_SHARED_CREDENTIALS_FILE="/dev/null")
    env.pop("AWS_SESSION_TOKEN", None)
    return subprocess.run([AWS_CLI, "--endpoint-url", URL, "--output", "json", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def local_issuer():
    """A local OpenID Connect issuer: an RSA key made with the openssl command, its
    public half published as a JWKS by a small HTTP server. Returns (url, sign)."""
    import base64, http.server, tempfile, threading
    folder = tempfile.mkdtemp()
    pem = os.path.join(folder, "issuer.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", pem], check=True, capture_output=True)
    modulus = subprocess.run(["openssl", "rsa", "-in", pem, "-noout", "-modulus"], check=True,
                             capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    jwks = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
                      "n": b64(bytes.fromhex(modulus)), "e": b64((65537).to_bytes(3, "big"))}]}
    state = {}

    class Issuer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = {"/.well-known/openid-configuration":
                    {"issuer": state["url"], "jwks_uri": state["url"] + "/keys"},
                    "/keys": jwks}.get(self.path)
            data = json.dumps(body).encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Issuer)
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def sign(claims):
        head = b64(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
        body = b64(json.dumps(claims).encode())
        signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem],
                                   input=f"{head}.{body}".encode(), check=True,
                                   capture_output=True).stdout
        return f"{head}.{body}.{b64(signature)}"

    return state["url"], sign


def paths_versions_and_web_identity(iam, account):
    """Paths, renames and policy versions as boto3 parses them, and a workload's
    token traded for a role session by boto3 and the aws CLI, unsigned as they send it."""
    import time
    made = iam.create_user(UserName="api-pathy", Path="/engineering/")["User"]
    assert made["Path"] == "/engineering/" and made["Arn"].endswith(":user/engineering/api-pathy"), made
    listed = iam.list_users(PathPrefix="/engineering/")["Users"]
    assert [u["UserName"] for u in listed] == ["api-pathy"], listed
    iam.update_user(UserName="api-pathy", NewUserName="api-pathy2", NewPath="/platform/")
    assert iam.get_user(UserName="api-pathy2")["User"]["Path"] == "/platform/"
    expect_error("ValidationError", iam.create_user, UserName="api-badpath", Path="nope")
    document = lambda bucket: json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    policy = iam.create_policy(PolicyName="api-versioned", Path="/team/", PolicyDocument=document("a"))["Policy"]
    assert policy["Path"] == "/team/" and policy["Arn"].endswith(":policy/team/api-versioned"), policy
    iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=document("b"), SetAsDefault=True)
    versions = iam.list_policy_versions(PolicyArn=policy["Arn"])["Versions"]
    assert sorted(v["VersionId"] for v in versions) == ["v1", "v2"], versions
    assert [v["VersionId"] for v in versions if v["IsDefaultVersion"]] == ["v2"], versions
    expect_error("DeleteConflict", iam.delete_policy_version, PolicyArn=policy["Arn"], VersionId="v2",
                 message="Cannot delete the default version of a policy.")
    iam.set_default_policy_version(PolicyArn=policy["Arn"], VersionId="v1")
    iam.delete_policy_version(PolicyArn=policy["Arn"], VersionId="v2")
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["DefaultVersionId"] == "v1"

    url, sign = local_issuer()
    host = url[len("http://"):]
    provider = iam.create_open_id_connect_provider(
        Url=url, ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"])["OpenIDConnectProviderArn"]
    assert provider == f"arn:aws:iam::{account}:oidc-provider/{host}", provider
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    assert got["Url"] == host and got["ClientIDList"] == ["sts.amazonaws.com"], got
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [provider]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"{host}:sub": "repo:acme/app:ref:refs/heads/main"}}}]}
    role = iam.create_role(RoleName="api-ci", Path="/workloads/",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    now = int(time.time())
    claims = {"iss": url, "aud": "sts.amazonaws.com", "iat": now, "exp": now + 600,
              "sub": "repo:acme/app:ref:refs/heads/main"}
    anonymous = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                             aws_access_key_id="unused", aws_secret_access_key="unused")
    answer = anonymous.assume_role_with_web_identity(
        RoleArn=role["Arn"], RoleSessionName="build-42", WebIdentityToken=sign(claims))
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/api-ci/build-42", answer
    assert answer["SubjectFromWebIdentityToken"] == claims["sub"], answer
    creds = answer["Credentials"]
    session = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    assert session.get_caller_identity()["Arn"].endswith(":assumed-role/api-ci/build-42")
    forked = dict(claims, sub="repo:evil/fork:ref:refs/heads/main")
    expect_error("AccessDenied", anonymous.assume_role_with_web_identity, RoleArn=role["Arn"],
                 RoleSessionName="build-43", WebIdentityToken=sign(forked),
                 message="Not authorized to perform sts:AssumeRoleWithWebIdentity")
    expect_error("ExpiredTokenException", anonymous.assume_role_with_web_identity, RoleArn=role["Arn"],
                 RoleSessionName="build-44", WebIdentityToken=sign(dict(claims, exp=now - 60)))
    # The aws CLI sends it unsigned too (--no-sign-request is implied for this call).
    out = subprocess.run([AWS_CLI, "--endpoint-url", URL, "--output", "json", "sts",
                          "assume-role-with-web-identity", "--role-arn", role["Arn"],
                          "--role-session-name", "cli", "--web-identity-token", sign(claims)],
                         env=dict(os.environ, AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                                  AWS_SHARED_CREDENTIALS_FILE="/dev/null"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out
    assert json.loads(out.stdout)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/api-ci/cli"), out


def saml_federation(iam, account):
    """A SAML 2.0 identity provider as boto3 and the aws CLI meet it: its metadata
    registered, a response signed by xmlsec1 with the provider's key, traded
    unsigned for a role session; a tampered one refused with AWS's text."""
    import base64, datetime, tempfile, uuid
    folder = tempfile.mkdtemp()
    key, cert = os.path.join(folder, "idp.pem"), os.path.join(folder, "idp-cert.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "30", "-subj", "/CN=idp.example.org"],
                   check=True, capture_output=True)
    body = "".join(l for l in open(cert).read().splitlines() if not l.startswith("-----"))
    entity = "https://idp.example.org/saml"
    metadata = (f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">'
                '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
                '<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'
                f'<ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
                '</md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>')
    provider = iam.create_saml_provider(Name="api-corp", SAMLMetadataDocument=metadata)["SAMLProviderArn"]
    assert provider == f"arn:aws:iam::{account}:saml-provider/api-corp", provider
    assert iam.get_saml_provider(SAMLProviderArn=provider)["SAMLMetadataDocument"] == metadata
    assert provider in [p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithSAML",
        "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}
    role = iam.create_role(RoleName="api-saml", AssumeRolePolicyDocument=json.dumps(trust))["Role"]

    def response(subject="carol@example.org"):
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        at = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
        issued, until = at(now), at(now + datetime.timedelta(minutes=5))
        aid = "_" + uuid.uuid4().hex
        template = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{aid}" Version="2.0" IssueInstant="{issued}">
<saml:Issuer>{entity}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
<saml:Assertion ID="{aid}" Version="2.0" IssueInstant="{issued}"><saml:Issuer>{entity}</saml:Issuer>
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#{aid}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/></ds:Signature>
<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:transient">{subject}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{until}" Recipient="https://signin.aws.amazon.com/saml"/></saml:SubjectConfirmation></saml:Subject>
<saml:Conditions NotBefore="{issued}" NotOnOrAfter="{until}"><saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction></saml:Conditions>
<saml:AttributeStatement>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml:AttributeValue>{provider},{role["Arn"]}</saml:AttributeValue></saml:Attribute>
<saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml:AttributeValue>carol</saml:AttributeValue></saml:Attribute>
</saml:AttributeStatement></saml:Assertion></samlp:Response>"""
        path = os.path.join(folder, f"{aid}.xml")
        with open(path, "w") as f:
            f.write(template)
        signed = subprocess.run(["xmlsec1", "--sign", "--privkey-pem", f"{key},{cert}",
                                 "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", path],
                                check=True, capture_output=True).stdout
        return signed

    anonymous = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                             aws_access_key_id="unused", aws_secret_access_key="unused")
    answer = anonymous.assume_role_with_saml(RoleArn=role["Arn"], PrincipalArn=provider,
                                             SAMLAssertion=base64.b64encode(response()).decode())
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/api-saml/carol", answer
    assert answer["Subject"] == "carol@example.org" and answer["SubjectType"] == "transient", answer
    assert answer["Issuer"] == entity and answer["Audience"] == "https://signin.aws.amazon.com/saml", answer
    creds = answer["Credentials"]
    session = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    assert session.get_caller_identity()["Arn"].endswith(":assumed-role/api-saml/carol")
    tampered = response().replace(b"carol@example.org", b"admin@example.org")
    expect_error("InvalidIdentityToken", anonymous.assume_role_with_saml, RoleArn=role["Arn"],
                 PrincipalArn=provider, SAMLAssertion=base64.b64encode(tampered).decode(),
                 message="Response signature invalid")
    out = subprocess.run([AWS_CLI, "--endpoint-url", URL, "--output", "json", "sts",
                          "assume-role-with-saml", "--role-arn", role["Arn"], "--principal-arn", provider,
                          "--saml-assertion", base64.b64encode(response()).decode()],
                         env=dict(os.environ, AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                                  AWS_SHARED_CREDENTIALS_FILE="/dev/null"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out
    assert json.loads(out.stdout)["AssumedRoleUser"]["Arn"].endswith(":assumed-role/api-saml/carol"), out
    iam.delete_saml_provider(SAMLProviderArn=provider)


def main():
    iam = client("iam", ROOT_KEY, ROOT_SECRET)
    sts = client("sts", ROOT_KEY, ROOT_SECRET)

    me = sts.get_caller_identity()
    account = me["Account"]
    assert len(account) == 12 and account.isdigit(), me
    assert me["Arn"] == f"arn:aws:iam::{account}:root", me

    # Users, with tags, and boto3's paginator walking Marker/IsTruncated.
    made = iam.create_user(UserName="api-alice", Tags=[{"Key": "team", "Value": "blue sky"}])["User"]
    assert made["Arn"] == f"arn:aws:iam::{account}:user/api-alice", made
    assert made["UserId"].startswith("AIDA"), made
    assert iam.get_user(UserName="API-ALICE")["User"]["UserName"] == "api-alice"
    expect_error("EntityAlreadyExists", iam.create_user, UserName="Api-Alice",
                 message="User with name Api-Alice already exists.")
    expect_error("NoSuchEntity", iam.get_user, UserName="api-nobody",
                 message="The user with name api-nobody cannot be found.")
    for n in range(5):
        iam.create_user(UserName=f"api-page-{n}")
    pages = list(iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2}))
    names = [u["UserName"] for p in pages for u in p["Users"]]
    assert len(pages) >= 3, pages
    assert all(f"api-page-{n}" in names for n in range(5)) and "api-alice" in names, names
    assert len(names) == len(set(names)), names
    # Listings leave tags out, as AWS's do; GetUser has them.
    assert all("Tags" not in u for p in pages for u in p["Users"]), pages
    assert iam.get_user(UserName="api-alice")["User"]["Tags"] == [{"Key": "team", "Value": "blue sky"}]

    # A group gives read-only access; alice's own key acts with exactly that.
    iam.create_group(GroupName="api-readers")
    iam.add_user_to_group(GroupName="api-readers", UserName="api-alice")
    members = iam.get_group(GroupName="api-readers")["Users"]
    assert [u["UserName"] for u in members] == ["api-alice"], members
    iam.attach_group_policy(GroupName="api-readers", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    key = iam.create_access_key(UserName="api-alice")["AccessKey"]
    assert key["Status"] == "Active" and len(key["SecretAccessKey"]) == 40, key
    listed = iam.list_access_keys(UserName="api-alice")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]], listed
    assert "SecretAccessKey" not in listed[0]
    alice_iam = client("iam", key["AccessKeyId"], key["SecretAccessKey"])
    alice_sts = client("sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert alice_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user/api-alice"
    assert any(u["UserName"] == "api-alice" for u in alice_iam.list_users()["Users"])
    expect_error("AccessDenied", alice_iam.create_user, UserName="api-mallory",
                 message=f"User: arn:aws:iam::{account}:user/api-alice is not authorized to perform: "
                         f"iam:CreateUser on resource: arn:aws:iam::{account}:user/api-mallory "
                         f"because no identity-based policy allows the iam:CreateUser action")
    expect_error("NoSuchEntity", iam.get_user, UserName="api-mallory")

    # An explicit Deny (a document with spaces and quotes, form-encoded by boto3) wins.
    deny = {"Version": "2012-10-17", "Statement": [
        {"Sid": "No listing", "Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}]}
    expect_error("MalformedPolicyDocument", iam.create_policy, PolicyName="api-deny",
                 PolicyDocument=json.dumps(deny, indent=2))
    deny["Statement"][0]["Sid"] = "NoListing"
    policy = iam.create_policy(PolicyName="api-deny", PolicyDocument=json.dumps(deny, indent=2),
                               Description="no listing, ever")["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{account}:policy/api-deny", policy
    iam.attach_user_policy(UserName="api-alice", PolicyArn=policy["Arn"])
    expect_error("AccessDenied", alice_iam.list_users,
                 message=f"User: arn:aws:iam::{account}:user/api-alice is not authorized to perform: "
                         f"iam:ListUsers on resource: arn:aws:iam::{account}:user/ "
                         f"with an explicit deny in an identity-based policy")

    # Deleting follows AWS: dependents first.
    expect_error("DeleteConflict", iam.delete_user, UserName="api-alice",
                 message="Cannot delete entity, must delete access keys first.")
    expect_error("DeleteConflict", iam.delete_group, GroupName="api-readers",
                 message="Cannot delete entity, must remove users from group first.")
    iam.delete_user(UserName="api-page-0")
    expect_error("NoSuchEntity", iam.get_user, UserName="api-page-0")

    # Keys: a third is refused, an inactive one stops at once, a deleted one is gone.
    second = iam.create_access_key(UserName="api-alice")["AccessKey"]
    expect_error("LimitExceeded", iam.create_access_key, UserName="api-alice",
                 message="Cannot exceed quota for AccessKeysPerUser: 2")
    iam.update_access_key(UserName="api-alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
    expect_error("InvalidClientTokenId", alice_sts.get_caller_identity)
    iam.delete_access_key(UserName="api-alice", AccessKeyId=second["AccessKeyId"])
    expect_error("NoSuchEntity", iam.delete_access_key, UserName="api-alice",
                 AccessKeyId=second["AccessKeyId"],
                 message=f"The Access Key with id {second['AccessKeyId']} cannot be found.")
    used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert used["UserName"] == "api-alice", used

    # Signatures: a wrong secret, an unknown key.
    expect_error("SignatureDoesNotMatch", client("sts", ROOT_KEY, ROOT_SECRET + "x").get_caller_identity)
    expect_error("InvalidClientTokenId", client("sts", "AKIAUNKNOWNKEY000000", ROOT_SECRET).get_caller_identity)

    # A presigned URL (GET, signature in the query string) works; changed, it does not.
    # botocore signs the operation's own method (POST) unless told otherwise, and
    # AWS refuses such a URL fetched with GET as we do.
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url) as response:
        body = response.read().decode()
    assert f"<Arn>arn:aws:iam::{account}:root</Arn>" in body, body
    try:
        urllib.request.urlopen(url.replace("X-Amz-Expires=60", "X-Amz-Expires=61"))
        raise AssertionError("a changed presigned URL was accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and b"SignatureDoesNotMatch" in e.read()

    # Temporary credentials: a role trusted with an external id, assumed by boto3,
    # whose session token boto3 signs like AWS's; GetSessionToken for one's own user.
    iam.create_user(UserName="api-dev")
    dev = iam.create_access_key(UserName="api-dev")["AccessKey"]
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:user/api-dev"},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"sts:ExternalId": "api-42"}}}]}
    role = iam.create_role(RoleName="api-deployer", AssumeRolePolicyDocument=json.dumps(trust),
                           MaxSessionDuration=7200)["Role"]
    assert role["AssumeRolePolicyDocument"] == trust, role
    iam.attach_role_policy(RoleName="api-deployer", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    dev_sts = client("sts", dev["AccessKeyId"], dev["SecretAccessKey"])
    expect_error("AccessDenied", dev_sts.assume_role, RoleArn=role["Arn"], RoleSessionName="ci",
                 message=f"User: arn:aws:iam::{account}:user/api-dev is not authorized to perform: "
                         f"sts:AssumeRole on resource: {role['Arn']}")
    assumed = dev_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci", ExternalId="api-42",
                                  DurationSeconds=3600)
    creds = assumed["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA"), creds
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/api-deployer/ci"
    as_role = boto3.client("iam", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                           aws_access_key_id=creds["AccessKeyId"],
                           aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    assert any(u["UserName"] == "api-dev" for u in as_role.list_users()["Users"])
    expect_error("AccessDenied", as_role.create_user, UserName="api-eve")
    role_sts = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                            aws_access_key_id=creds["AccessKeyId"],
                            aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])
    assert role_sts.get_caller_identity()["Arn"] == f"arn:aws:sts::{account}:assumed-role/api-deployer/ci"
    expect_error("ValidationError", dev_sts.assume_role, RoleArn=role["Arn"], RoleSessionName="ci",
                 ExternalId="api-42", DurationSeconds=10800,
                 message="The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    own = dev_sts.get_session_token(DurationSeconds=900)["Credentials"]
    own_sts = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                           aws_access_key_id=own["AccessKeyId"], aws_secret_access_key=own["SecretAccessKey"],
                           aws_session_token=own["SessionToken"])
    assert own_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:user/api-dev"
    expect_error("AccessDenied", own_sts.get_session_token,
                 message="Cannot call GetSessionToken with session credentials")

    # Reading back what was given, in the shapes boto3 parses.
    roles = iam.list_roles()["Roles"]
    deployer = next(r for r in roles if r["RoleName"] == "api-deployer")
    assert deployer["AssumeRolePolicyDocument"] == trust and deployer["MaxSessionDuration"] == 7200, deployer
    attached = iam.list_attached_role_policies(RoleName="api-deployer")["AttachedPolicies"]
    assert attached == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}], attached
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="api-alice")["Groups"]] == ["api-readers"]
    inline = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}
    iam.put_user_policy(UserName="api-dev", PolicyName="own-reads", PolicyDocument=json.dumps(inline))
    assert iam.list_user_policies(UserName="api-dev")["PolicyNames"] == ["own-reads"]
    got = iam.get_user_policy(UserName="api-dev", PolicyName="own-reads")
    assert got["PolicyDocument"] == inline and got["UserName"] == "api-dev", got
    expect_error("NoSuchEntity", iam.get_user_policy, UserName="api-dev", PolicyName="nope",
                 message="The user policy with name nope cannot be found.")
    expect_error("MalformedPolicyDocument", iam.put_user_policy, UserName="api-dev", PolicyName="bad",
                 PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser"}]}')
    iam.delete_user_policy(UserName="api-dev", PolicyName="own-reads")
    assert iam.list_user_policies(UserName="api-dev")["PolicyNames"] == []
    local = iam.list_policies(Scope="Local")["Policies"]
    assert "api-deny" in [p["PolicyName"] for p in local], local
    assert all(p["Arn"].startswith(f"arn:aws:iam::{account}:policy/") for p in local), local
    used = iam.list_policies(Scope="AWS", OnlyAttached=True)["Policies"]
    assert "ReadOnlyAccess" in [p["PolicyName"] for p in used], used
    fetched = iam.get_policy(PolicyArn=policy["Arn"])["Policy"]
    assert fetched["Description"] == "no listing, ever" and fetched["DefaultVersionId"] == "v1", fetched
    version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId="v1")["PolicyVersion"]
    assert version["Document"] == deny and version["IsDefaultVersion"], version
    newer = iam.create_policy_version(PolicyArn=policy["Arn"], PolicyDocument=json.dumps(deny), SetAsDefault=True)
    assert newer["PolicyVersion"]["VersionId"] == "v2", newer
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["DefaultVersionId"] == "v2"
    expect_error("NoSuchEntity", iam.get_policy, PolicyArn=f"arn:aws:iam::{account}:policy/api-none",
                 message=f"Policy arn:aws:iam::{account}:policy/api-none does not exist or is not attachable.")
    expect_error("DeleteConflict", iam.delete_role, RoleName="api-deployer",
                 message="Cannot delete entity, must detach all policies first.")

    # The account password policy, console passwords as login profiles, user tags.
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireNumbers=True,
                                       AllowUsersToChangePassword=True, MaxPasswordAge=90)
    policy_now = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy_now["MinimumPasswordLength"] == 12 and policy_now["RequireNumbers"], policy_now
    assert policy_now["ExpirePasswords"] and policy_now["MaxPasswordAge"] == 90, policy_now
    expect_error("PasswordPolicyViolation", iam.create_login_profile, UserName="api-dev", Password="short1")
    made_profile = iam.create_login_profile(UserName="api-dev", Password="Long-Enough-Pass-42",
                                            PasswordResetRequired=True)["LoginProfile"]
    assert made_profile["UserName"] == "api-dev" and made_profile["PasswordResetRequired"], made_profile
    assert iam.get_login_profile(UserName="api-dev")["LoginProfile"]["PasswordResetRequired"]
    expect_error("EntityAlreadyExists", iam.create_login_profile, UserName="api-dev",
                 Password="Long-Enough-Pass-43", message="Login Profile for user api-dev already exists.")
    iam.delete_login_profile(UserName="api-dev")
    expect_error("NoSuchEntity", iam.get_login_profile, UserName="api-dev",
                 message="Login Profile for User api-dev cannot be found.")
    iam.tag_user(UserName="api-dev", Tags=[{"Key": "project", "Value": "apollo"}, {"Key": "cost", "Value": "42"}])
    tags = {t["Key"]: t["Value"] for t in iam.list_user_tags(UserName="api-dev")["Tags"]}
    assert tags == {"project": "apollo", "cost": "42"}, tags
    expect_error("ValidationError", iam.tag_user, UserName="api-dev", Tags=[{"Key": "aws:reserved", "Value": "x"}])
    iam.untag_user(UserName="api-dev", TagKeys=["cost"])
    assert iam.list_user_tags(UserName="api-dev")["Tags"] == [{"Key": "project", "Value": "apollo"}]
    expect_error("InvalidInput", iam.tag_user, UserName="api-dev",
                 Tags=[{"Key": "env", "Value": "a"}, {"Key": "Env", "Value": "b"}],
                 message="Duplicate tag keys found. Please note that Tag keys are case insensitive.")
    # Roles and customer policies carry tags too; GetRole/GetPolicy answer them.
    iam.tag_role(RoleName="api-deployer", Tags=[{"Key": "team", "Value": "platform"}])
    iam.tag_role(RoleName="api-deployer", Tags=[{"Key": "Team", "Value": "data"}])
    assert iam.list_role_tags(RoleName="api-deployer")["Tags"] == [{"Key": "Team", "Value": "data"}]
    assert iam.get_role(RoleName="api-deployer")["Role"]["Tags"] == [{"Key": "Team", "Value": "data"}]
    iam.untag_role(RoleName="api-deployer", TagKeys=["team"])
    assert iam.list_role_tags(RoleName="api-deployer")["Tags"] == []
    iam.tag_policy(PolicyArn=policy["Arn"], Tags=[{"Key": "owner", "Value": "security"}])
    assert iam.get_policy(PolicyArn=policy["Arn"])["Policy"]["Tags"] == [{"Key": "owner", "Value": "security"}]
    iam.untag_policy(PolicyArn=policy["Arn"], TagKeys=["owner"])
    assert iam.list_policy_tags(PolicyArn=policy["Arn"])["Tags"] == []

    # Virtual MFA devices: boto3 decodes the seed and the PNG; two consecutive codes
    # enable it; deactivated it stays unassigned until deleted.
    import time, zlib
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="api-dev-phone")["VirtualMFADevice"]
    serial = device["SerialNumber"]
    assert serial == f"arn:aws:iam::{account}:mfa/api-dev-phone", device
    seed = device["Base32StringSeed"].decode()
    png = device["QRCodePNG"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR", png[:16]
    width = int.from_bytes(png[16:20], "big")
    idat_length = int.from_bytes(png[33:37], "big")
    assert png[37:41] == b"IDAT"
    assert len(zlib.decompress(png[41:41 + idat_length])) == (width + 1) * width
    expect_error("EntityAlreadyExists", iam.create_virtual_mfa_device, VirtualMFADeviceName="API-DEV-PHONE")
    now = time.time()
    expect_error("InvalidAuthenticationCode", iam.enable_mfa_device, UserName="api-dev", SerialNumber=serial,
                 AuthenticationCode1=totp(seed, now), AuthenticationCode2=totp(seed, now - 30))
    iam.enable_mfa_device(UserName="api-dev", SerialNumber=serial,
                          AuthenticationCode1=totp(seed, now - 30), AuthenticationCode2=totp(seed, now))
    assert [d["SerialNumber"] for d in iam.list_mfa_devices(UserName="api-dev")["MFADevices"]] == [serial]
    assigned = iam.list_virtual_mfa_devices(AssignmentStatus="Assigned")["VirtualMFADevices"]
    assert [d["User"]["UserName"] for d in assigned if d["SerialNumber"] == serial] == ["api-dev"], assigned
    expect_error("DeleteConflict", iam.delete_virtual_mfa_device, SerialNumber=serial)
    iam.deactivate_mfa_device(UserName="api-dev", SerialNumber=serial)
    unassigned = iam.list_virtual_mfa_devices(AssignmentStatus="Unassigned")["VirtualMFADevices"]
    assert serial in [d["SerialNumber"] for d in unassigned], unassigned
    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert serial not in [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]]

    # What auditing tools read: every identity and policy at once (boto3's paginator
    # walks it), the context keys a policy needs, the account of a key.
    users_seen, policies_seen = [], []
    for page in iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 2}):
        users_seen += [u["UserName"] for u in page["UserDetailList"]]
        policies_seen += [p["PolicyName"] for p in page["Policies"]]
    assert "api-dev" in users_seen and "api-deny" in policies_seen, (users_seen, policies_seen)
    assert len(users_seen) == len(set(users_seen)), users_seen
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                                               "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]})])
    assert keys["ContextKeyNames"] == ["aws:RequestedRegion"], keys
    assert client("sts", ROOT_KEY, ROOT_SECRET).get_access_key_info(AccessKeyId=ROOT_KEY)["Account"] == account
    fed = client("sts", ROOT_KEY, ROOT_SECRET).get_federation_token(
        Name="api-fed", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}]}))
    assert fed["FederatedUser"]["Arn"] == f"arn:aws:sts::{account}:federated-user/api-fed", fed
    fed_sts = boto3.client("sts", endpoint_url=URL, region_name="us-east-1", config=NO_RETRIES,
                           aws_access_key_id=fed["Credentials"]["AccessKeyId"],
                           aws_secret_access_key=fed["Credentials"]["SecretAccessKey"],
                           aws_session_token=fed["Credentials"]["SessionToken"])
    assert fed_sts.get_caller_identity()["UserId"] == f"{account}:api-fed"
    iam.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=True)

    # The simulator, with AWS's parameters and answers.
    sim = iam.simulate_principal_policy(PolicySourceArn=f"arn:aws:iam::{account}:user/api-alice",
                                        ActionNames=["iam:ListUsers", "iam:CreateUser", "iam:GetUser"])
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in sim["EvaluationResults"]}
    assert decisions == {"iam:ListUsers": "explicitDeny", "iam:CreateUser": "implicitDeny",
                         "iam:GetUser": "allowed"}, decisions
    custom = iam.simulate_custom_policy(
        PolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})],
        ActionNames=["s3:GetObject", "s3:PutObject"],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.2.3"], "ContextKeyType": "ip"}])
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in custom["EvaluationResults"]}
    assert decisions == {"s3:GetObject": "allowed", "s3:PutObject": "implicitDeny"}, decisions

    # Roles and boundaries changed in place.
    iam.update_role(RoleName="api-deployer", Description="deploys", MaxSessionDuration=10800)
    changed = iam.get_role(RoleName="api-deployer")["Role"]
    assert changed["Description"] == "deploys" and changed["MaxSessionDuration"] == 10800, changed
    trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"] = "api-43"
    iam.update_assume_role_policy(RoleName="api-deployer", PolicyDocument=json.dumps(trust))
    expect_error("AccessDenied", dev_sts.assume_role, RoleArn=role["Arn"], RoleSessionName="ci2", ExternalId="api-42")
    iam.put_user_permissions_boundary(UserName="api-dev", PermissionsBoundary="arn:aws:iam::aws:policy/ReadOnlyAccess")
    bounded = iam.get_user(UserName="api-dev")["User"]
    assert bounded["PermissionsBoundary"]["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/ReadOnlyAccess", bounded
    iam.delete_user_permissions_boundary(UserName="api-dev")
    assert "PermissionsBoundary" not in iam.get_user(UserName="api-dev")["User"]

    # The account: summary, alias, where a policy is attached.
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] >= 6 and summary["AccessKeysPerUserQuota"] == 2, summary
    assert summary["AccountAccessKeysPresent"] == 1, summary
    iam.create_account_alias(AccountAlias="api-test-account")
    assert iam.list_account_aliases()["AccountAliases"] == ["api-test-account"]
    iam.create_account_alias(AccountAlias="api-renamed")
    assert iam.list_account_aliases()["AccountAliases"] == ["api-renamed"]
    expect_error("NoSuchEntity", iam.delete_account_alias, AccountAlias="api-test-account")
    iam.delete_account_alias(AccountAlias="api-renamed")
    assert iam.list_account_aliases()["AccountAliases"] == []
    entities = iam.list_entities_for_policy(PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == ["api-readers"], entities
    assert "api-deployer" in [r["RoleName"] for r in entities["PolicyRoles"]], entities
    entities = iam.list_entities_for_policy(PolicyArn=policy["Arn"])
    assert [u["UserName"] for u in entities["PolicyUsers"]] == ["api-alice"], entities

    # The credential report, in AWS's columns, for the tools that read AWS's.
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv", report
    import csv, io
    rows = list(csv.DictReader(io.StringIO(report["Content"].decode())))
    assert rows[0]["user"] == "<root_account>" and rows[0]["password_enabled"] == "not_supported", rows[0]
    assert rows[0]["access_key_1_active"] == "true", rows[0]
    alice_row = next(r for r in rows if r["user"] == "api-alice")
    assert alice_row["arn"] == f"arn:aws:iam::{account}:user/api-alice", alice_row
    assert alice_row["password_enabled"] == "false" and alice_row["access_key_1_active"] == "false", alice_row
    assert alice_row["access_key_1_last_used_service"] in ("iam", "sts") and alice_row["access_key_1_last_used_region"] == "us-east-1", alice_row
    assert alice_row["access_key_2_active"] == "false" and alice_row["cert_1_active"] == "false", alice_row

    # The aws CLI, unchanged.
    out = cli("sts", "get-caller-identity")
    assert out.returncode == 0 and json.loads(out.stdout)["Account"] == account, out
    out = cli("iam", "list-users", "--path-prefix", "/")
    assert out.returncode == 0, out
    assert "api-alice" in [u["UserName"] for u in json.loads(out.stdout)["Users"]]
    out = cli("iam", "get-user", "--user-name", "api-nobody")
    assert out.returncode != 0 and "(NoSuchEntity)" in out.stderr, out
    assert "The user with name api-nobody cannot be found." in out.stderr, out
    out = cli("iam", "create-user", "--user-name", "bad name")
    assert out.returncode != 0 and "(ValidationError)" in out.stderr, out
    assert "Member must satisfy regular expression pattern" in out.stderr, out
    out = subprocess.run([AWS_CLI, "--endpoint-url", URL, "--output", "json", "sts", "get-caller-identity"],
                         env=dict(os.environ, AWS_ACCESS_KEY_ID=creds["AccessKeyId"],
                                  AWS_SECRET_ACCESS_KEY=creds["SecretAccessKey"],
                                  AWS_SESSION_TOKEN=creds["SessionToken"], AWS_DEFAULT_REGION="us-east-1",
                                  AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null"),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out
    assert json.loads(out.stdout)["Arn"].endswith(":assumed-role/api-deployer/ci"), out
    out = cli("iam", "create-user", "--user-name", "api-cli")
    assert out.returncode == 0 and json.loads(out.stdout)["User"]["UserName"] == "api-cli", out
    paths_versions_and_web_identity(iam, account)
    saml_federation(iam, account)
    print("API checks passed: boto3 and the aws CLI")


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        print(f"API check failed: {e}", file=sys.stderr)
        raise
