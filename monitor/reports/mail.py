"""Report e-mail: the message of a scheduled report (summary, link, the file attached) and its SMTP delivery."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, getaddresses
from pathlib import Path

from ..alerts.webhook import SendOutcome
from ..config.reports import EmailConfig, ReportScheduleConfig
from .writers import MEDIA_TYPES

log = logging.getLogger(__name__)


def compose(email: EmailConfig, s: ReportScheduleConfig, key: str, vi: str, en: str, url: str, name: str,
            data: bytes, now: float) -> bytes:
    """Return the message of one report as bytes ready for SMTP, the report file attached."""
    msg = EmailMessage()
    msg["Subject"] = f"Báo cáo một cửa / One-stop report {s.id}: {name.rsplit('.', 1)[0].split('-', 2)[-1]}"
    msg["From"] = email.sender
    msg["To"] = ", ".join(s.email_to)
    msg["Date"] = formatdate(now, localtime=False)
    # The same id on a resend after a crash lets mail clients fold the duplicate.
    msg["Message-ID"] = f"<{key}@onestop-monitor>"
    msg.set_content(f"{vi}\n\n{en}\n\nTải về / Download: {url}\n")
    maintype, subtype = MEDIA_TYPES[s.format].split(";")[0].split("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(policy=SMTP)  # CRLF line ends: smtplib sends bytes as they are


def _ca_file(email: EmailConfig, config_path: Path | None) -> str | None:
    """Return the CA file to trust, a relative path read from the config file's folder."""
    path = email.ca_file
    if path is None:
        return None
    if not path.is_absolute() and config_path is not None:
        path = config_path.parent / path
    return str(path)


def send_mail(email: EmailConfig, body: bytes, env: Mapping[str, str], config_path: Path | None) -> SendOutcome:
    """Send one stored message over SMTP (STARTTLS unless switched off, login from the environment)."""
    msg = message_from_bytes(body)
    rcpt = [addr for _, addr in getaddresses(msg.get_all("To", []))]
    user = env.get(email.user_env, "") if email.user_env else ""
    password = env.get(email.password_env, "") if email.password_env else ""
    if email.user_env and not (user and password):
        return SendOutcome(False, "config_error",
                           f"environment variables {email.user_env}/{email.password_env} are not set")
    try:
        with smtplib.SMTP(email.host, email.port, timeout=email.timeout) as smtp:
            smtp.ehlo()
            if email.starttls:
                if not smtp.has_extn("starttls"):
                    return SendOutcome(False, "config_error", "the SMTP server does not offer STARTTLS")
                smtp.starttls(context=ssl.create_default_context(cafile=_ca_file(email, config_path)))
                smtp.ehlo()
            if user:
                smtp.login(user, password)
            refused = smtp.sendmail(email.sender, rcpt, body)
    except smtplib.SMTPResponseException as exc:
        return SendOutcome(False, "smtp_error", f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:300], exc.smtp_code)
    except smtplib.SMTPRecipientsRefused as exc:
        return SendOutcome(False, "smtp_error", f"recipients refused: {sorted(exc.recipients)}")
    except TimeoutError:
        return SendOutcome(False, "timeout", "SMTP timeout")
    except ConnectionRefusedError as exc:
        return SendOutcome(False, "connect_error", f"connect: {exc}")
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        return SendOutcome(False, "network_error", f"{type(exc).__name__}: {exc}")
    if refused:
        log.warning("some report recipients were refused", extra={"refused": ",".join(sorted(refused))})
    return SendOutcome(True, status=250)
