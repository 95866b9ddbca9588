"""The one place podcap makes AWS clients, and turns AWS failures into one line a person can act on.

boto3/botocore are imported inside the functions (never at module import) so the CLI starts fast.
boto3's standard configuration applies unchanged: ``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``,
``AWS_ENDPOINT_URL`` and ``AWS_ENDPOINT_URL_<SERVICE>``, ``~/.aws/config`` and ``~/.aws/credentials``,
SSO, IMDS. Retries default to botocore's "adaptive" mode with 5 attempts unless the environment or the
config file already sets ``retry_mode`` / ``max_attempts`` (``AWS_RETRY_MODE``, ``AWS_MAX_ATTEMPTS``).

Every client has a connect timeout of :data:`CONNECT_TIMEOUT` s and a read timeout of :data:`READ_TIMEOUT`
s (botocore's own are 60 s each, which with retries let a silent endpoint hold a check for six minutes);
:mod:`podcap.sources.live` also bounds the whole live phase (``--live-timeout``). Settings botocore would
trip over later (``AWS_MAX_ATTEMPTS=lots``, an ``AWS_ENDPOINT_URL`` that is not an http(s) URL) are refused
up front with one line.
"""
from __future__ import annotations

import os
import re
from urllib.parse import urlsplit, urlunsplit

from podcap import __version__

TYPE_CHECKING = False  # typing's, without importing typing (docs/architecture.md, Start-up)
if TYPE_CHECKING:
    from typing import Any

RETRY_MODE = "adaptive"
MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0
_RETRY_MODES = ("legacy", "standard", "adaptive")
_ENDPOINT_VARS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2", "AWS_ENDPOINT_URL_EKS")
USER_AGENT_EXTRA = f"podcap/{__version__}"


class AwsAccessError(Exception):
    """AWS could not be read; ``str()`` is one line saying what to do (never contains credentials)."""

    def __init__(self, message: str, code: str = ""):
        self.code = code
        super().__init__(message)

    @classmethod
    def from_exception(cls, exc: BaseException) -> AwsAccessError:
        return cls(explain_aws_error(exc), code=_error_code(exc))


def make_session(profile: str | None = None, region: str | None = None) -> Any:
    """A ``boto3.session.Session``; ``profile``/``region`` override the environment only when given."""
    import boto3.session

    return boto3.session.Session(profile_name=profile or None, region_name=region or None)


def _shown(value: object, limit: int = 80) -> str:
    text = " ".join(str(value).split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def check_settings(scoped: dict | None = None) -> None:
    """AwsAccessError (one line) for retry and endpoint settings botocore cannot use."""
    scoped = scoped or {}
    for name, raw in (("AWS_MAX_ATTEMPTS", os.environ.get("AWS_MAX_ATTEMPTS")),
                      ("max_attempts in the AWS config file", scoped.get("max_attempts"))):
        if raw is None or str(raw).strip() == "":
            continue
        text = str(raw).strip()
        if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 4 and int(text) >= 1):
            raise AwsAccessError(f"{name}={_shown(raw)} is not a whole number of attempts from 1 to 9999: "
                                 "fix or unset it")
    for name, raw in (("AWS_RETRY_MODE", os.environ.get("AWS_RETRY_MODE")),
                      ("retry_mode in the AWS config file", scoped.get("retry_mode"))):
        if raw and str(raw).strip() not in _RETRY_MODES:
            raise AwsAccessError(f"{name}={_shown(raw)} is not one of {', '.join(_RETRY_MODES)}: fix or unset it")
    for var in _ENDPOINT_VARS:
        raw = os.environ.get(var)
        if raw is None or raw == "":
            continue
        try:
            parts = urlsplit(raw)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in raw)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            ok = False
        if not ok:
            raise AwsAccessError(f"{var}={_shown(safe_url(raw))} is not an http(s) URL with a host: fix or unset it")


def _config(session: Any, read_timeout: float | None = None) -> Any:
    """Adaptive retries, 5 attempts, unless AWS_RETRY_MODE / AWS_MAX_ATTEMPTS or the profile say otherwise;
    connect and read timeouts (see the module doc)."""
    from botocore.config import Config

    scoped = session._session.get_scoped_config()  # the profile's ~/.aws/config section
    check_settings(scoped)
    mode = (os.environ.get("AWS_RETRY_MODE") or scoped.get("retry_mode") or RETRY_MODE).strip()
    retries: dict[str, Any] = {"mode": mode}
    if not (os.environ.get("AWS_MAX_ATTEMPTS") or scoped.get("max_attempts")):
        retries["max_attempts"] = MAX_ATTEMPTS  # otherwise botocore applies the configured value
    read = READ_TIMEOUT if read_timeout is None else max(min(read_timeout, READ_TIMEOUT), 0.1)
    return Config(retries=retries, user_agent_extra=USER_AGENT_EXTRA,
                  connect_timeout=min(CONNECT_TIMEOUT, read), read_timeout=read)


def client(service: str, *, region: str | None = None, profile: str | None = None,
           session: Any = None, read_timeout: float | None = None) -> Any:
    """A boto3 client for ``service``; the endpoint comes from boto3's own configuration.

    Raises botocore's exceptions (ProfileNotFound, NoRegionError, ...); callers wrap them with
    :func:`explain_aws_error`. Raises AwsAccessError for unusable retry or endpoint settings.
    """
    session = session or make_session(profile=profile, region=region)
    try:
        return session.client(service, region_name=region or None, config=_config(session, read_timeout))
    except ValueError as e:  # botocore turns some malformed settings into ValueError
        if isinstance(e, AwsAccessError):
            raise
        raise AwsAccessError(f"cannot make an AWS {service} client: {_short(str(e))}") from None


# --------------------------------------------------------------------------- error explanations

_ACCESS_DENIED = {
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
    "Forbidden", "OptInRequired",
}
_BAD_CREDENTIALS = {
    "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch",
    "IncompleteSignature", "InvalidAccessKeyId", "MissingAuthenticationToken",
}
_EXPIRED = {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
_THROTTLED = {
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "ProvisionedThroughputExceededException", "EC2ThrottledException", "BandwidthLimitExceeded",
    "LimitExceededException", "PriorRequestNotComplete",
}
_SERVER = {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable", "InternalServerError"}

_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|ABIA|ACCA)[A-Z0-9]{12,}\b")
_SECRET_LIKE = re.compile(r"(?i)(secret[_-]?(?:access[_-]?)?key|session[_-]?token|token|password|signature|credential)"
                          r"\s*[=:]\s*[\"']?[^\s\"',;&]+")


def _error_code(exc: BaseException) -> str:
    resp = getattr(exc, "response", None) or {}
    return str((resp.get("Error") or {}).get("Code", "") or "")


def safe_url(url: Any) -> str:
    """The URL without user info, query or fragment (where credentials could hide)."""
    text = str(url or "")
    try:
        parts = urlsplit(text)
    except ValueError:
        return "<endpoint>"
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        port = None
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", "")) if parts.scheme else text.split("?")[0]


def _scrub(text: str) -> str:
    """One line with anything credential-like removed."""
    for var in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY_ID"):
        value = os.environ.get(var)
        if value and len(value) >= 4:
            text = text.replace(value, "<redacted>")
    text = _KEY_ID.sub("<redacted>", text)
    text = _SECRET_LIKE.sub(lambda m: f"{m.group(1)}=<redacted>", text)
    text = re.sub(r"(?i)encoded authorization failure message:.*", "", text)
    return " ".join(text.split())


def _short(text: str, limit: int = 200) -> str:
    text = _scrub(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _explain(exc: BaseException) -> str:
    try:
        from botocore import exceptions as be
    except ImportError:  # pragma: no cover - boto3 is a dependency
        return f"AWS call failed: {type(exc).__name__}: {_short(str(exc))}"

    kw = getattr(exc, "kwargs", {}) or {}
    if isinstance(exc, be.ProfileNotFound):
        return (f"AWS profile {kw.get('profile', '')!r} not found in ~/.aws/config or ~/.aws/credentials: "
                "pass an existing --profile, fix AWS_PROFILE, or run `aws configure --profile NAME`")
    if isinstance(exc, be.NoRegionError):
        return "no AWS region configured: pass --region, or set AWS_REGION (or region in ~/.aws/config)"
    sso = tuple(getattr(be, n) for n in ("SSOTokenLoadError", "UnauthorizedSSOTokenError", "TokenRetrievalError",
                                         "SSOError") if hasattr(be, n))
    if sso and isinstance(exc, sso):
        return "the AWS SSO session is missing or expired: run `aws sso login` (with --profile if you use one)"
    if isinstance(exc, (be.NoCredentialsError, be.PartialCredentialsError)):
        return ("no AWS credentials found: set AWS_PROFILE (or pass --profile), run `aws configure` or "
                "`aws sso login`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    if isinstance(exc, be.CredentialRetrievalError):
        return ("AWS credentials could not be loaded from the configured provider: check the profile's "
                "credential_process / role settings, or use another --profile")
    if isinstance(exc, (be.ConnectTimeoutError, be.ReadTimeoutError)):
        return (f"timed out talking to AWS at {safe_url(kw.get('endpoint_url'))}: check the network, proxy "
                "settings and AWS_ENDPOINT_URL, then retry")
    if isinstance(exc, be.SSLError):
        return (f"TLS error talking to AWS at {safe_url(kw.get('endpoint_url'))}: check proxies and "
                "AWS_CA_BUNDLE")
    if isinstance(exc, (be.EndpointConnectionError, be.ConnectionClosedError, be.ConnectionError)):
        return (f"could not connect to the AWS endpoint {safe_url(kw.get('endpoint_url'))}: check the network "
                "and the region, and AWS_ENDPOINT_URL / endpoint_url if you set one")
    if isinstance(exc, be.ParamValidationError):
        return f"podcap sent an invalid AWS request (a bug, please report it): {_short(str(exc))}"
    if isinstance(exc, be.ClientError):
        code = _error_code(exc)
        op = getattr(exc, "operation_name", "") or "the AWS call"
        if code in _ACCESS_DENIED:
            if code == "OptInRequired":
                return f"{op} failed: the region is not enabled for this account (OptInRequired); pick another --region"
            return (f"AWS denied {op} ({code}): the identity in use needs read-only permission for it; "
                    "check its IAM policy or use another --profile")
        if code in _EXPIRED:
            return (f"the AWS credentials have expired ({code}): refresh them (e.g. `aws sso login`) "
                    "and retry")
        if code in _BAD_CREDENTIALS:
            return (f"AWS rejected the credentials for {op} ({code}): check AWS_PROFILE / the access key, "
                    "and that the region is enabled for the account")
        if code in _THROTTLED:
            return (f"AWS throttled {op} ({code}) even after retries: wait a minute and retry, or raise "
                    "AWS_MAX_ATTEMPTS")
        if code in _SERVER:
            return f"AWS had an internal error on {op} ({code}): retry later"
        msg = ((getattr(exc, "response", None) or {}).get("Error") or {}).get("Message", "")
        return f"{op} failed ({code or 'error'}): {_short(str(msg))}".rstrip(": ")
    if isinstance(exc, be.BotoCoreError):
        return f"AWS call failed ({type(exc).__name__}): {_short(str(exc))}"
    return f"AWS call failed ({type(exc).__name__}): {_short(str(exc))}"


def explain_aws_error(exc: BaseException) -> str:
    """One line, without credentials, saying what went wrong and what to do."""
    if isinstance(exc, AwsAccessError):
        return _scrub(str(exc))
    return _scrub(_explain(exc))
