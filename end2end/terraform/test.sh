#!/usr/bin/env bash
# Terraform's AWS provider against a running Portcullis (PORTCULLIS_URL, with the root
# key in PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID/_SECRET_ACCESS_KEY): apply, a second
# plan that must change nothing, destroy. Terraform and its AWS provider come from the
# machine (`terraform` on PATH, the provider in a filesystem mirror, by default
# /opt/tf-plugins); no registry serves them, so where they are absent this says so and
# stops without failing.
set -euo pipefail
cd "$(dirname "$0")"
mirror="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
if ! command -v terraform >/dev/null || [ ! -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
  echo "Terraform check skipped: no terraform command or no AWS provider under $mirror on this machine"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp main.tf "$work/"
cat > "$work/cli.tfrc" <<CONFIG
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
disable_checkpoint = true
CONFIG
body=$(grep -v -- ----- ../../server/tests/server/keys/server-cert.pem | tr -d '\n')
metadata="<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"https://idp.example.com/tf\"><md:IDPSSODescriptor protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\"><md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data><ds:X509Certificate>$body</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>"
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
export TF_VAR_endpoint="$PORTCULLIS_URL" TF_VAR_access_key="$PORTCULLIS_BOOTSTRAP_ROOT_ACCESS_KEY_ID"
export TF_VAR_secret_key="$PORTCULLIS_BOOTSTRAP_ROOT_SECRET_ACCESS_KEY" TF_VAR_saml_metadata="$metadata"
TF_VAR_certificate="$(cat ../../server/tests/server/keys/server-cert.pem)"
TF_VAR_certificate_key="$(cat ../../server/tests/server/keys/issuer.pem)"
export TF_VAR_certificate TF_VAR_certificate_key
cd "$work"
terraform init -no-color >/dev/null
terraform apply -no-color -auto-approve
# Every attribute must read back as written: a second plan finds nothing to do.
set +e
terraform plan -no-color -detailed-exitcode
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "Terraform found differences after apply (plan exit $status)"
  exit 1
fi
terraform destroy -no-color -auto-approve
echo "Terraform checks passed: apply, no drift, destroy"
