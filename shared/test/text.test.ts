import { multiLineText, singleLineText } from '../src/http/text';

describe('text fields', () => {
  const name = singleLineText({ max: 20 });
  const notes = multiLineText({ max: 200 });

  it.each([
    ['BEL', 'a\u0007b'],
    ['ESC', 'a\u001b[31mred'],
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['TAB', 'a\tb'],
    ['DEL', 'a\u007fb'],
    ['C1 (NEL)', 'a\u0085b'],
    ['right-to-left override', 'invoice\u202efdp.exe'],
    ['left-to-right isolate', 'a\u2066b'],
  ])('refuses %s in a single-line name', (_what, text) => {
    const result = name.safeParse(text);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0].message).toMatch(/control characters/);
  });

  it('keeps ordinary names, accents, emoji and right-to-left scripts', () => {
    for (const text of ['Groceries', 'Café – Épargne', '🏠 Home', 'חיסכון', '  padded  '])
      expect(name.safeParse(text).success).toBe(true);
    expect(name.parse('  padded  ')).toBe('padded');
    expect(name.safeParse('').success).toBe(false);
  });

  it('lets notes keep line breaks and tabs but nothing else of the kind', () => {
    expect(notes.safeParse('line one\nline two\r\n\tindented').success).toBe(true);
    expect(notes.safeParse('bell\u0007').success).toBe(false);
    expect(notes.safeParse('flip\u202e').success).toBe(false);
  });
});
