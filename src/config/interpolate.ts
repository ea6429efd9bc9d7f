/** `${VAR}` / `${VAR:-default}` substitution in config string values. `$${` escapes a literal `${`. */

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Interpolated {
  value: string;
  /** Variables referenced without a default and not set. */
  missing: string[];
}

export function interpolate(input: string, env: NodeJS.ProcessEnv): Interpolated {
  const missing: string[] = [];
  const value = input.replace(REF, (match: string, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const v = env[name!];
    if (fallback !== undefined) return v === undefined || v === '' ? fallback : v;
    if (v === undefined) {
      missing.push(name!);
      return '';
    }
    return v;
  });
  return { value, missing };
}

/** True when the string contains a reference (used to skip untouched scalars cheaply). */
export const hasReference = (s: string): boolean => s.includes('${');
