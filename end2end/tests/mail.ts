// Mail in the browser tests: it goes over SMTP to MailDev (started by
// global-setup), and the tests read it from MailDev's HTTP API and open
// its links as a person would.

export type Mail = { subject: string; text: string; to: { address: string }[] };

/** Waits for a mail to `to` whose subject contains `subject`; returns it. */
export async function mailTo(to: string, subject: string): Promise<Mail> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const response = await fetch(`${process.env.MAILDEV_URL}/email`);
    const mails = (await response.json()) as Mail[];
    const found = mails.find(
      (mail) => mail.subject.includes(subject) && mail.to.some((t) => t.address === to),
    );
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no "${subject}" mail to ${to}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The link to `page` in `mail`. */
export function linkIn(mail: Mail, page: string): string {
  const match = mail.text.match(new RegExp(`https?://\\S+${page}\\?token=\\S+`));
  if (!match) throw new Error(`no ${page} link in: ${mail.text}`);
  return match[0];
}
