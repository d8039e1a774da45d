// A backup's age in words, shared by the freshness reader and the read-only wall screen (which
// must not load the reader: it runs commands over SSH).
export function ageText(s: number): { en: string; ko: string } {
  const min = Math.floor(s / 60);
  if (min < 60) return { en: `${min} min`, ko: `${min}분` };
  const h = Math.floor(min / 60);
  if (h < 48) return { en: `${h} h ${min % 60} min`, ko: `${h}시간 ${min % 60}분` };
  return { en: `${Math.floor(h / 24)} d`, ko: `${Math.floor(h / 24)}일` };
}
