/** Word lists for names, emails and message bodies. */

export const FIRST_NAMES: readonly string[] = [
  'James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William',
  'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Daniel', 'Nancy',
  'Matthew', 'Lisa', 'Anthony', 'Betty', 'Mark', 'Sandra', 'Steven', 'Ashley', 'Paul', 'Kimberly', 'Andrew', 'Emily',
  'Joshua', 'Donna', 'Kevin', 'Michelle', 'Brian', 'Carol', 'George', 'Amanda', 'Timothy', 'Melissa', 'Ronald',
  'Deborah', 'José', 'Zoë', 'Chloé', 'Björn', 'Renée', 'Łukasz', 'François', 'Mónica', 'Søren', 'Aiko', 'Wei',
  'Priya', 'Omar', 'Fatima', 'Noah', 'Olivia', 'Liam', 'Emma', 'Lucas', 'Mia',
];

export const LAST_NAMES: readonly string[] = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez',
  'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez',
  'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen',
  'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall',
  "O'Brien", 'Müller', 'Dubois', 'Schröder', 'Kowalski', 'Nakamura', 'Chen', 'Patel', 'Haddad', 'Rossi', 'Novak',
];

export const EMAIL_DOMAINS: readonly string[] = [
  'gmail.com', 'yahoo.com', 'outlook.com', 'icloud.com', 'hotmail.com', 'proton.me', 'example.org', 'acme-corp.com',
];

/** ASCII local-part of an email address from a name. */
export function asciiSlug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/Ł/g, 'L')
    .replace(/ł/g, 'l')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/[^A-Za-z]/g, '');
}

export const CUSTOMER_LINES: readonly string[] = [
  'Hi, I have a question about my last bill',
  'My order has not arrived yet',
  'Can you help me reset my password?',
  'I was charged twice this month',
  'Is there a discount for annual plans?',
  'The app keeps crashing when I log in',
  'Yes that is correct',
  'Thanks, that worked!',
  'Could you check again please?',
  'My account number is in my profile',
  'Ok, thank you very much',
  'Great, have a nice day',
];

export const AGENT_LINES: readonly string[] = [
  'Hello! Thanks for reaching out, let me look into this for you.',
  'Could you confirm the email address on your account?',
  'I can see the issue, give me a moment please.',
  'I have applied a refund, it should show in 3-5 business days.',
  'Is there anything else I can help you with today?',
  'I have escalated this to our technical team.',
  'Your password reset link has been sent.',
  'Thanks for your patience!',
];

/** Opt-out keywords (SEMANTICS §6), as customers type them: the trimmed, upper-cased text must match. */
export const STOP_BODIES: readonly string[] = ['STOP', 'stop', ' Stop ', 'UNSUBSCRIBE', 'Unsubscribe', 'STOPALL', 'QUIT', 'END', 'cancel'];

/** Bodies that look like opt-outs but are not (no consent change). */
export const NOT_STOP_BODIES: readonly string[] = ['Please stop calling me at work', 'stop.', 'STOP IT', 'unsubscribe me from emails?'];
