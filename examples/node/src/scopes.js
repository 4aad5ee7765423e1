// hive_tokens' type `scopes` as text: "{organization:describe,project:describe}", names in
// catalog order, "{}" for none. A permission name is <resource>:<action>, each 1..64 letters,
// digits and "_".

const NAME = /^[A-Za-z0-9_]{1,64}:[A-Za-z0-9_]{1,64}$/;

export function parseScopes(text) {
  if (typeof text !== 'string' || !text.startsWith('{') || !text.endsWith('}')) {
    throw new TypeError('scopes text must look like {name,name}');
  }
  const inner = text.slice(1, -1);
  if (inner === '') return [];
  return inner.split(',').map((name) => {
    if (!NAME.test(name)) throw new TypeError(`not a permission name: ${JSON.stringify(name.slice(0, 80))}`);
    return name;
  });
}

export function formatScopes(names) {
  for (const name of names) {
    if (!NAME.test(name)) throw new TypeError(`not a permission name: ${JSON.stringify(String(name).slice(0, 80))}`);
  }
  return `{${names.join(',')}}`;
}
