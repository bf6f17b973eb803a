import type { Request } from 'express';

export type PageLang = 'fr' | 'en';

/** `?lang=fr|en`, else Accept-Language: the pages are French unless English is asked for (anything else is French). */
export function pageLang(req: Request): PageLang {
  const asked = req.query.lang;
  if (asked === 'en' || asked === 'fr') return asked;
  return req.acceptsLanguages('fr', 'en') === 'en' ? 'en' : 'fr';
}
