import type { BrevoContext } from './context.js';
import { badRequest, notFound } from './errors.js';
import { PHONE_ATTRIBUTES } from './phone.js';
import type { Attribute, AttributeCategory, AttributeType } from './types.js';

interface AttributeBody {
  type?: AttributeType;
  value?: string;
  isRecurring?: boolean;
  enumeration?: { value: number; label: string }[];
  multiCategoryOptions?: string[];
}

const NAME_RE = /^[A-Z][A-Z0-9_-]*$/;
/** Identifier attributes back the contact indexes; the emulator keeps them. */
const PROTECTED = new Set<string>([...PHONE_ATTRIBUTES, 'EXT_ID']);

function view(a: Attribute): Record<string, unknown> {
  return {
    name: a.name,
    category: a.category,
    // category attributes are described by their enumeration; the others report their type
    ...(a.type && a.type !== 'category' ? { type: a.type === 'user' ? 'text' : a.type } : {}),
    ...(a.enumeration ? { enumeration: a.enumeration } : {}),
    ...(a.multiCategoryOptions ? { multiCategoryOptions: a.multiCategoryOptions } : {}),
    ...(a.calculatedValue !== undefined ? { calculatedValue: a.calculatedValue } : {}),
  };
}

/** Category/type pairing rules from the spec's createAttribute description (brevo.md §3). */
function checkPairing(category: AttributeCategory, b: AttributeBody): AttributeType | undefined {
  const type = b.type ?? (category === 'category' ? 'category' : category === 'normal' ? 'text' : undefined);
  if ((type === 'user' || type === 'multiple-choice') && category !== 'normal') {
    throw badRequest(`Type ${type} is only available if the category is normal`);
  }
  if (type === 'id' && category !== 'transactional') throw badRequest('Type id is only available if the category is transactional');
  if (type === 'category' && category !== 'category') throw badRequest('Type category is only available if the category is category');
  if (category === 'category' && !(b.enumeration && b.enumeration.length)) throw badRequest('enumeration is missing', 'missing_parameter');
  if (type === 'multiple-choice' && !(b.multiCategoryOptions && b.multiCategoryOptions.length)) {
    throw badRequest('multiCategoryOptions is missing', 'missing_parameter');
  }
  if ((category === 'calculated' || category === 'global') && !b.value) throw badRequest('value is missing', 'missing_parameter');
  if (b.enumeration?.some((e) => e.label.length > 200)) throw badRequest('enumeration label must be at most 200 characters', 'out_of_range');
  return type;
}

/** `GET /contacts/attributes`, `POST|PUT|DELETE /contacts/attributes/{attributeCategory}/{attributeName}`. */
export function registerAttributeRoutes(ctx: BrevoContext): void {
  const { store } = ctx;
  const find = (category: unknown, name: unknown): Attribute => {
    const a = store.attributes.get(String(name).toUpperCase());
    if (!a || a.category !== category) throw notFound('Attribute not found');
    return a;
  };

  ctx.route('GET', '/contacts/attributes', () => ({ status: 200, body: { attributes: [...store.attributes.values()].map(view) } }));

  ctx.route('POST', '/contacts/attributes/{attributeCategory}/{attributeName}', ({ params, body }) => {
    const category = params.attributeCategory as AttributeCategory;
    const name = String(params.attributeName).toUpperCase();
    if (!NAME_RE.test(name)) throw badRequest('Attribute name must start with a letter and contain only letters, digits, - and _');
    if (store.attributes.has(name)) throw badRequest('Attribute name must be unique', 'duplicate_parameter');
    const b = (body ?? {}) as AttributeBody;
    const type = checkPairing(category, b);
    const a: Attribute = {
      name,
      category,
      ...(type ? { type } : {}),
      ...(b.enumeration ? { enumeration: b.enumeration.map((e) => ({ value: e.value, label: e.label })) } : {}),
      ...(b.multiCategoryOptions ? { multiCategoryOptions: [...b.multiCategoryOptions] } : {}),
      ...(b.value !== undefined ? { calculatedValue: b.value } : {}),
      ...(b.isRecurring !== undefined ? { isRecurring: b.isRecurring } : {}),
    };
    store.attributes.set(name, a);
    return { status: 201 };
  });

  ctx.route('PUT', '/contacts/attributes/{attributeCategory}/{attributeName}', ({ params, body }) => {
    const a = find(params.attributeCategory, params.attributeName);
    const b = (body ?? {}) as AttributeBody;
    if (b.enumeration) {
      if (a.category !== 'category') throw badRequest('enumeration is only available for category attributes');
      a.enumeration = b.enumeration.map((e) => ({ value: e.value, label: e.label }));
    }
    if (b.multiCategoryOptions) {
      if (a.type !== 'multiple-choice') throw badRequest('multiCategoryOptions is only available for multiple-choice attributes');
      a.multiCategoryOptions = [...new Set([...(a.multiCategoryOptions ?? []), ...b.multiCategoryOptions])];
    }
    if (b.value !== undefined) {
      if (a.category !== 'calculated' && a.category !== 'global') throw badRequest('value is only available for calculated and global attributes');
      a.calculatedValue = b.value;
    }
    return { status: 204 };
  });

  ctx.route('DELETE', '/contacts/attributes/{attributeCategory}/{attributeName}', ({ params }) => {
    const a = find(params.attributeCategory, params.attributeName);
    if (PROTECTED.has(a.name)) throw badRequest(`Attribute ${a.name} cannot be deleted`);
    store.attributes.delete(a.name);
    for (const c of store.contacts.values()) delete c.attributes[a.name];
    return { status: 204 };
  });
}
