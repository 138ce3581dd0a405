import type { Email } from "./mail.js";

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function codeEmail(
  to: string,
  name: string,
  subject: string,
  lead: string,
  code: string,
  minutes: number,
): Email {
  const text = [
    `Hello ${name},`,
    "",
    lead,
    "",
    `    ${code}`,
    "",
    `The code expires in ${minutes} minutes. If you did not ask for it, ignore this email.`,
    "",
    "— JobSphere",
  ].join("\n");
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
<p>Hello ${escapeHtml(name)},</p>
<p>${escapeHtml(lead)}</p>
<p style="font-size:28px;font-weight:bold;letter-spacing:6px">${code}</p>
<p>The code expires in ${minutes} minutes. If you did not ask for it, ignore this email.</p>
<p>— JobSphere</p>
</body></html>`;
  return { to, subject, text, html };
}

export function verificationCodeEmail(to: string, name: string, code: string, minutes: number): Email {
  return codeEmail(
    to,
    name,
    `Your JobSphere verification code: ${code}`,
    "Enter this code in the app to confirm your email address:",
    code,
    minutes,
  );
}

export function passwordResetEmail(to: string, name: string, code: string, minutes: number): Email {
  return codeEmail(
    to,
    name,
    `Your JobSphere password reset code: ${code}`,
    "Enter this code in the app to choose a new password:",
    code,
    minutes,
  );
}

/** A notification sent as email too (booking confirmed, payment receipt, withdrawal paid). */
export function notificationEmail(to: string, name: string, title: string, body: string): Email {
  const text = [`Hello ${name},`, "", body, "", "— JobSphere"].join("\n");
  const html = `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">
<p>Hello ${escapeHtml(name)},</p>
<p>${escapeHtml(body)}</p>
<p>— JobSphere</p>
</body></html>`;
  return { to, subject: `JobSphere: ${title}`, text, html };
}
