"""Writes vectors.json: TSIG test vectors made with dnspython (Debian's python3-dnspython), for
tests/dns/tsig_test.cpp. Run with /usr/bin/python3 make_vectors.py > vectors.json.

Per algorithm: a signed UPDATE request (fixed id, fixed time), its MAC, the unsigned answer and
the answer signed as dnspython signs it, and a second message of a multi-message answer signed
with the running MAC (RFC 8945 §5.3.1), unsigned and signed."""

import base64
import json
import time

import dns.message
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

TIME = 1700000000
ALGORITHMS = ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384",
              "hmac-sha512"]
WIRE_NAMES = {"hmac-md5": "hmac-md5.sig-alg.reg.int."}

time.time = lambda: TIME  # every signature at the same time, so the vectors are fixed


def make(algorithm, n):
    secret = base64.b64encode(bytes((i * 7 + n) % 256 for i in range(32))).decode()
    alg_name = WIRE_NAMES.get(algorithm, algorithm + ".")
    keyring = dns.tsigkeyring.from_text({"ddns-key.": (alg_name, secret)})
    request = dns.update.UpdateMessage("example.com.", id=0x1234 + n)
    request.add("www", 300, "A", "192.0.2.7")
    request.present("example.com.", "SOA")
    request.use_tsig(keyring, keyname="ddns-key.", algorithm=alg_name)
    request_wire = request.to_wire()

    def answer(extra_name=None, signed=True):
        r = dns.message.make_response(request)
        if extra_name:
            r.answer.append(dns.rrset.from_text(extra_name, 300, "IN", "A", "192.0.2.8"))
        if not signed:
            r.tsig = None
        return r

    first = answer()
    first_signed = first.to_wire(multi=True)
    second = answer("next.example.com.")
    second_signed = second.to_wire(multi=True, tsig_ctx=first.tsig_ctx)
    return {
        "algorithm": algorithm,
        "key_name": "ddns-key.",
        "secret": secret,
        "time": TIME,
        "request": request_wire.hex(),
        "request_mac": request.mac.hex(),
        "answer_unsigned": answer(signed=False).to_wire().hex(),
        "answer_signed": first_signed.hex(),
        "second_unsigned": answer("next.example.com.", signed=False).to_wire().hex(),
        "second_signed": second_signed.hex(),
    }


print(json.dumps([make(a, n) for n, a in enumerate(ALGORITHMS)], indent=1))
