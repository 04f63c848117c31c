// Form controls made from JSON Schema (the OpenAPI document's): the schema says how a value is
// typed, so every type's fields, the delivery settings included, come out of one function.
import { h, uniqueId } from './dom.js';
import { label } from './words.js';
import { unwrap } from './schema.js';

/**
 * A control for the value at `path` (`credential_attributes.bucket`, `delivery.cache.ttl`):
 * `{path, element, read(), write(v), showErrors(list)}`. `read()` is `undefined` for "not given".
 */
export function control(doc, path, rawSchema, { required = false, secret = false, title } = {}) {
  const { schema } = unwrap(doc, rawSchema);
  const id = uniqueId('field');
  const help = schema.description ? h('p', { class: 'help', id: `${id}-help` }, schema.description) : null;
  const error = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const describedBy = [help && `${id}-help`, `${id}-error`].filter(Boolean).join(' ');
  const name = title ?? label(path.split('.').pop());
  const text = `${name}${required ? ' (required)' : ''}`;
  const strings = (schema.enum ?? []).filter((v) => typeof v === 'string');
  let input;
  let read;
  let write;

  if (schema.type === 'object' && schema.properties) {
    const children = Object.entries(schema.properties).map(([key, child]) =>
      control(doc, `${path}.${key}`, child, { required: (schema.required ?? []).includes(key) }),
    );
    const element = h('fieldset', { class: 'group' }, h('legend', {}, name), help, error, children.map((c) => c.element));
    return {
      path,
      element,
      children,
      read() {
        const value = {};
        for (const child of children) {
          const v = child.read();
          if (v !== undefined) value[child.path.split('.').pop()] = v;
        }
        return Object.keys(value).length ? value : undefined;
      },
      write(value) {
        for (const child of children) child.write(value?.[child.path.split('.').pop()]);
      },
      showErrors(list) {
        fill(error, list);
        if (!list.length) for (const child of children) child.showErrors([]);
      },
      find(target) {
        return children.map((c) => (c.path === target ? c : c.find?.(target))).find(Boolean);
      },
    };
  }

  if (strings.length) {
    input = h(
      'select',
      { id, name: path, 'aria-describedby': describedBy },
      required ? null : h('option', { value: '' }, '(not set)'),
      strings.map((v) => h('option', { value: v }, v)),
    );
    read = () => input.value || undefined;
    write = (v) => {
      input.value = v === undefined || v === null ? '' : String(v);
    };
  } else if (schema.type === 'boolean') {
    input = h('input', { id, name: path, type: 'checkbox', 'aria-describedby': describedBy });
    // Not given while it holds the default: an untouched box sends nothing.
    read = () => (input.checked === (schema.default ?? false) ? undefined : input.checked);
    write = (v) => {
      input.checked = v ?? schema.default ?? false;
    };
    write(undefined);
  } else if (schema.type === 'integer') {
    input = h('input', { id, name: path, type: 'number', inputmode: 'numeric', min: schema.minimum, max: schema.maximum, step: 1, 'aria-describedby': describedBy });
    read = () => (input.value.trim() === '' ? undefined : Number(input.value));
    write = (v) => {
      input.value = v ?? '';
    };
  } else if (schema.type === 'array') {
    input = h('textarea', { id, name: path, rows: 3, 'aria-describedby': describedBy, placeholder: 'One per line' });
    read = () => {
      const lines = input.value.split('\n').map((l) => l.trim()).filter(Boolean);
      return lines.length ? lines : undefined;
    };
    write = (v) => {
      input.value = (v ?? []).join('\n');
    };
  } else if (schema.type === 'object') {
    input = h('textarea', { id, name: path, rows: 3, 'aria-describedby': describedBy, placeholder: 'name=value, one per line' });
    read = () => {
      const entries = input.value
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => {
          const at = l.indexOf('=');
          return at < 0 ? [l, ''] : [l.slice(0, at).trim(), l.slice(at + 1).trim()];
        });
      return entries.length ? Object.fromEntries(entries) : undefined;
    };
    write = (v) => {
      input.value = Object.entries(v ?? {})
        .map(([k, x]) => `${k}=${x}`)
        .join('\n');
    };
  } else {
    const type = secret ? 'password' : schema.format === 'uri' ? 'url' : 'text';
    input = h('input', {
      id,
      name: path,
      type,
      autocomplete: secret ? 'new-password' : 'off',
      spellcheck: 'false',
      maxlength: schema.maxLength,
      'aria-describedby': describedBy,
    });
    read = () => (input.value === '' ? undefined : input.value);
    write = (v) => {
      input.value = v ?? '';
    };
  }
  if (required && schema.type !== 'boolean') input.setAttribute('aria-required', 'true');
  const element = h(
    'div',
    { class: schema.type === 'boolean' && !strings.length ? 'field check' : 'field' },
    h('label', { for: id }, text),
    input,
    help,
    error,
  );
  return {
    path,
    element,
    input,
    read,
    write,
    showErrors(list) {
      fill(error, list);
      if (list.length) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    },
  };
}

function fill(error, list) {
  error.replaceChildren(list.join(' '));
  error.hidden = list.length === 0;
}

/**
 * The field an API message names (docs/SPEC.md §8's messages), as a control path: "Credential
 * bucket can't be blank" → `credential_attributes.bucket`; unknown → null (shown above the form).
 */
export function fieldOf(message) {
  const credential = /^Credential (\w+) /.exec(message);
  if (credential) return `credential_attributes.${credential[1]}`;
  const delivery = /^(delivery(?:\.\w+)*) /.exec(message);
  if (delivery) return delivery[1];
  if (/^Custom domain /.test(message)) return 'delivery.custom_domains';
  if (/^Source type /.test(message)) return 'source_type';
  if (/^Source /.test(message)) return 'source';
  if (/^Enabled /.test(message)) return 'enabled';
  return null;
}

/**
 * Puts each message beside the control it names (the nearest enclosing one for a deeper path),
 * and returns the messages no control took.
 */
export function placeErrors(controls, messages) {
  const byPath = new Map();
  const left = [];
  for (const control of controls) control.showErrors?.([]);
  for (const message of messages) {
    let path = fieldOf(message);
    let target = null;
    while (path && !target) {
      target = controls.map((c) => (c.path === path ? c : c.find?.(path))).find(Boolean);
      path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : null;
    }
    if (!target) left.push(message);
    else byPath.set(target, [...(byPath.get(target) ?? []), message]);
  }
  for (const [control, list] of byPath) control.showErrors(list);
  const first = [...byPath.keys()][0];
  (first?.input ?? first?.element)?.focus?.();
  return left;
}
