import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';

/** Sends one mail; SMTP when SMTP_URL is set, else a .eml file in MAIL_DIR (nothing to run for `npm start`). */
export interface Mailer {
  /** For the start log: where mails go. */
  readonly description: string;
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export interface OutgoingMail {
  /** Stable across retries (`<id@notifier.finance-tracker>`), so a receiver can tell a repeat. */
  id: string;
  to: string;
  subject: string;
  html: string;
  text: string;
}

export interface MailerSettings {
  smtpUrl?: string;
  from: string;
  mailDir: string;
  timeoutMs: number;
}

function messageIdOf(id: string): string {
  return `<${id}@notifier.finance-tracker>`;
}

/** Where a URL's password is not written (logs). */
function withoutPassword(url: URL): string {
  const shown = new URL(url.href);
  if (shown.password) shown.password = '***';
  return shown.href;
}

export function createMailer(settings: MailerSettings): Mailer {
  return settings.smtpUrl ? smtpMailer(settings, new URL(settings.smtpUrl)) : folderMailer(settings);
}

function smtpMailer(settings: MailerSettings, url: URL): Mailer {
  const secure = url.protocol === 'smtps:';
  const transport: Transporter = nodemailer.createTransport({
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    connectionTimeout: settings.timeoutMs,
    greetingTimeout: settings.timeoutMs,
    socketTimeout: settings.timeoutMs,
  });
  return {
    description: `SMTP ${withoutPassword(url)}`,
    async send(mail) {
      const info = await transport.sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        messageId: messageIdOf(mail.id),
      });
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}

function folderMailer(settings: MailerSettings): Mailer {
  const transport: Transporter = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });
  return {
    description: `files in ${settings.mailDir} (no SMTP_URL)`,
    async send(mail) {
      const info = (await transport.sendMail({
        from: settings.from,
        to: mail.to,
        subject: mail.subject,
        html: mail.html,
        text: mail.text,
        messageId: messageIdOf(mail.id),
      })) as { messageId: string; message: Buffer };
      await mkdir(settings.mailDir, { recursive: true });
      // Named by the mail's id: a retry after a crash rewrites the same file instead of adding one.
      await writeFile(join(settings.mailDir, `${mail.id}.eml`), info.message);
      return { messageId: info.messageId };
    },
    close: () => transport.close(),
  };
}
