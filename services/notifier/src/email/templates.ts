import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { eventKinds, type EventKind } from '../domain/kinds';

/**
 * The e-mail of each kind: handlebars templates in the service's `templates/` folder, one HTML
 * and one plain-text body per kind, wrapped in one layout of each. `{{value}}` escapes HTML in the
 * HTML templates, so a budget named `<script>` arrives as text; the plain-text ones are compiled
 * without HTML escaping (there is no markup to protect there). Everything is compiled once, at
 * start, in strict mode: a template naming a value the kind does not have fails at the first render
 * test, not silently as an empty string in someone's mail.
 */

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/** How a kind is named to a person (the footer says why they get the mail). */
export const kindLabels: Record<EventKind, string> = {
  budget_threshold_reached: 'budget nearly used up',
  budget_exceeded: 'budget exceeded',
  budget_removed: 'budget removed',
  goal_milestone_reached: 'goal milestones',
  goal_completed: 'goal reached',
  recurring_upcoming: 'upcoming recurring transactions',
  recurring_generated: 'recurring transactions recorded',
  import_completed: 'imports finished',
  monthly_report_ready: 'monthly report',
};

const accents: Record<EventKind, string> = {
  budget_threshold_reached: '#b45309',
  budget_exceeded: '#b91c1c',
  budget_removed: '#4b5563',
  goal_milestone_reached: '#047857',
  goal_completed: '#047857',
  recurring_upcoming: '#1d4ed8',
  recurring_generated: '#1d4ed8',
  import_completed: '#4338ca',
  monthly_report_ready: '#4338ca',
};

/**
 * The templates folder: `services/notifier/templates` from the source tree (src/email or
 * dist/email), `dist/templates` in the image (copied there as a registry asset).
 */
export function templatesDir(): string {
  const candidates = [resolve(__dirname, '../../templates'), resolve(__dirname, '../templates')];
  const found = candidates.find((dir) => existsSync(join(dir, 'layout.html.hbs')));
  if (!found) throw new Error(`notifier e-mail templates not found (looked in ${candidates.join(', ')})`);
  return found;
}

type Template = Handlebars.TemplateDelegate;

export class EmailTemplates {
  private constructor(
    private readonly layouts: { html: Template; text: Template },
    private readonly bodies: Record<EventKind, { html: Template; text: Template }>,
  ) {}

  /** Reads and compiles every template; throws naming a missing one. */
  static load(dir: string = templatesDir()): EmailTemplates {
    const html = Handlebars.create();
    const text = Handlebars.create();
    for (const env of [html, text])
      env.registerHelper('concat', (...args: unknown[]) => args.slice(0, -1).join(''));
    const partials = join(dir, 'partials');
    for (const file of readdirSync(partials).filter((f) => f.endsWith('.hbs')))
      html.registerPartial(basename(file, '.hbs'), readFileSync(join(partials, file), 'utf8'));
    const read = (name: string) => {
      const path = join(dir, name);
      if (!existsSync(path)) throw new Error(`notifier e-mail template ${path} is missing`);
      return readFileSync(path, 'utf8');
    };
    const compileHtml = (name: string) => html.compile(read(name), { strict: true });
    const compileText = (name: string) => text.compile(read(name), { strict: true, noEscape: true });
    const bodies = {} as Record<EventKind, { html: Template; text: Template }>;
    for (const kind of eventKinds)
      bodies[kind] = { html: compileHtml(`${kind}.html.hbs`), text: compileText(`${kind}.text.hbs`) };
    return new EmailTemplates(
      { html: compileHtml('layout.html.hbs'), text: compileText('layout.text.hbs') },
      bodies,
    );
  }

  render(
    kind: EventKind,
    values: { subject: string; username: string; details: Record<string, string | number | null> },
  ): RenderedEmail {
    const common = {
      subject: values.subject,
      username: values.username,
      kind_label: kindLabels[kind],
      accent: accents[kind],
    };
    const body = this.bodies[kind];
    const html = this.layouts.html({ ...common, content: body.html(values.details) });
    const text = this.layouts.text({ ...common, content: body.text(values.details).trim() });
    return { subject: values.subject, html, text };
  }
}
