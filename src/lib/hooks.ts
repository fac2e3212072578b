/** A route option's hooks as a list: Fastify accepts one hook, a list, or nothing. */
export const toArray = <T>(hooks: T | T[] | undefined): T[] => hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]
