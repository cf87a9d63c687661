"""The merchant API through a second official SDK: stripe-python as Debian ships it
(python3-stripe 5.x), against a real `till serve` started here on a fresh data dir.

Older SDKs encode differently from stripe-node (booleans as "True", lists as `a[0]`), so this
catches what the Node suite cannot. Run by CTest as compat_stripe_python with
COMPAT_TILL_BINARY set; at the end the server is stopped (SIGTERM, exit 0) and
`till ledger verify` must pass on what the tests wrote.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

import stripe

TILL = os.environ["COMPAT_TILL_BINARY"]
# The child gets PATH and HOME only: unknown TILL_* variables make till refuse to start.
CHILD_ENV = {key: os.environ[key] for key in ("PATH", "HOME") if key in os.environ}


class Server:
    def __init__(self):
        self.data_dir = tempfile.mkdtemp(prefix="till-compat-py-")
        self.log = open(os.path.join(self.data_dir, "serve.log"), "w")
        self.process = subprocess.Popen(
            [TILL, "serve", "--listen", "127.0.0.1:0", "--data-dir", self.data_dir],
            stdout=subprocess.PIPE, stderr=self.log, env=CHILD_ENV, text=True)
        line = self.process.stdout.readline()
        while line and "listening on" not in line:
            line = self.process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            raise RuntimeError("till serve did not start: " + line)
        self.base = "http://127.0.0.1:" + match.group(1)
        for _ in range(100):
            try:
                with urllib.request.urlopen(self.base + "/readyz") as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        created = subprocess.run(
            [TILL, "admin", "merchant", "create", "--name", "compat-python", "--json",
             "--data-dir", self.data_dir],
            capture_output=True, text=True, env=CHILD_ENV, check=True)
        self.secret_key = json.loads(created.stdout)["secret_key"]

    def stop_and_verify(self):
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(timeout=30) == 0, "till serve did not exit 0 on SIGTERM"
        verified = subprocess.run([TILL, "ledger", "verify", "--data-dir", self.data_dir],
                                  capture_output=True, text=True, env=CHILD_ENV)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        self.log.close()
        shutil.rmtree(self.data_dir, ignore_errors=True)


SERVER = None


def setUpModule():
    global SERVER
    SERVER = Server()
    stripe.api_key = SERVER.secret_key
    stripe.api_base = SERVER.base
    stripe.max_network_retries = 0


def tearDownModule():
    SERVER.stop_and_verify()


class StripePythonTest(unittest.TestCase):
    def test_customer_payment_method_and_automatic_capture(self):
        customer = stripe.Customer.create(email="py@example.com", metadata={"tier": "gold"})
        self.assertTrue(customer.id.startswith("cus_"))
        self.assertEqual(customer.metadata["tier"], "gold")
        method = stripe.PaymentMethod.create(
            type="card",
            card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"})
        self.assertEqual(method.card.last4, "4242")
        stripe.PaymentMethod.attach(method.id, customer=customer.id)
        intent = stripe.PaymentIntent.create(
            amount=1234, currency="usd", customer=customer.id, payment_method=method.id,
            confirm=True, payment_method_types=["card"], expand=["latest_charge"])
        self.assertEqual(intent.status, "succeeded")
        self.assertEqual(intent.amount_received, 1234)
        self.assertEqual(intent.latest_charge.object, "charge")
        self.assertEqual(intent.latest_charge.amount_captured, 1234)
        listed = stripe.Customer.list(email="py@example.com")
        self.assertEqual([c.id for c in listed.data], [customer.id])

    def test_manual_capture_refund_and_balance(self):
        held = stripe.PaymentIntent.create(amount=5000, currency="usd",
                                           payment_method="pm_card_visa", confirm=True,
                                           capture_method="manual")
        self.assertEqual(held.status, "requires_capture")
        self.assertEqual(held.amount_capturable, 5000)
        captured = stripe.PaymentIntent.capture(held.id, amount_to_capture=3000)
        self.assertEqual(captured.status, "succeeded")
        self.assertEqual(captured.amount_received, 3000)
        refund = stripe.Refund.create(payment_intent=held.id, amount=1000,
                                      reason="requested_by_customer")
        self.assertEqual((refund.status, refund.amount), ("succeeded", 1000))
        with self.assertRaises(stripe.error.InvalidRequestError) as refused:
            stripe.Refund.create(payment_intent=held.id, amount=2001)
        self.assertEqual(refused.exception.code, "amount_too_large")
        balance = stripe.Balance.retrieve()
        self.assertEqual(balance.object, "balance")
        types = {t.type for t in stripe.BalanceTransaction.list(limit=100).auto_paging_iter()}
        self.assertEqual(types, {"charge", "refund"})

    def test_declines_are_card_errors(self):
        for method, decline_code in [("pm_card_chargeDeclined", "generic_decline"),
                                     ("pm_card_chargeDeclinedInsufficientFunds",
                                      "insufficient_funds")]:
            with self.assertRaises(stripe.error.CardError) as declined:
                stripe.PaymentIntent.create(amount=1000, currency="usd", payment_method=method,
                                            confirm=True)
            self.assertEqual(declined.exception.error.decline_code, decline_code)
            self.assertEqual(declined.exception.error.payment_intent.status,
                             "requires_payment_method")
            self.assertEqual(declined.exception.http_status, 402)

    def test_errors_name_the_parameter(self):
        with self.assertRaises(stripe.error.InvalidRequestError) as unknown:
            stripe.PaymentIntent.create(amount=1000, currency="usd", colour="red")
        self.assertEqual((unknown.exception.code, unknown.exception.param),
                         ("parameter_unknown", "colour"))
        with self.assertRaises(stripe.error.InvalidRequestError) as missing:
            stripe.PaymentIntent.create(currency="usd")
        self.assertEqual(missing.exception.param, "amount")
        with self.assertRaises(stripe.error.InvalidRequestError) as absent:
            stripe.PaymentIntent.retrieve("pi_does_not_exist")
        self.assertEqual(absent.exception.http_status, 404)
        with self.assertRaises(stripe.error.AuthenticationError):
            stripe.Balance.retrieve(api_key="sk_test_not_a_real_key_0000000000000000")

    def test_idempotency_keys_and_auto_paging(self):
        first = stripe.PaymentIntent.create(amount=700, currency="usd", idempotency_key="py-1")
        again = stripe.PaymentIntent.create(amount=700, currency="usd", idempotency_key="py-1")
        self.assertEqual(first.id, again.id)
        with self.assertRaises(stripe.error.IdempotencyError):
            stripe.PaymentIntent.create(amount=800, currency="usd", idempotency_key="py-1")
        made = {stripe.Customer.create(name="page %d" % i).id for i in range(7)}
        seen = [c.id for c in stripe.Customer.list(limit=3).auto_paging_iter()]
        self.assertEqual(len(seen), len(set(seen)))
        self.assertTrue(made <= set(seen))


if __name__ == "__main__":
    unittest.main()
