// The program of `npm run bench -- start`: one input and one reveal, as MP-SPDZ's
// smallest program. JavaScript importing the package by its name, as in a project that
// installed Entente: the compiled command runs it with no loader (needs `npm run build`).
import { int } from 'entente';

export default async function oneReveal(s) {
  const x = s.input('p1', int(32), s.me === 'p1' ? [42] : 1);
  return x.reveal();
}
