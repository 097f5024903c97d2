# R's numbers for the complete-outputs tests (src/analytics/study/outputs.test.ts),
# printed as a TypeScript object to paste into that file. Run from this folder:
#   Rscript outputs-reference.R > ../../src/analytics/study/outputs.r.ts
# (R 4.2 with the survival package; CI machines do not have R: the tests embed these numbers.)
suppressMessages(library(survival))
d <- read.csv("outputs.csv")
d$recovered <- d$recovered == "true"
d$death <- d$death == "true"
A <- d$arm == "A"
num <- function(x) ifelse(is.na(x), "null", trimws(formatC(x, digits = 15, format = "g")))
vec <- function(x) paste0("[", paste(num(x), collapse = ", "), "]")
out <- function(name, value) cat("  ", name, ": ", value, ",\n", sep = "")
ttest <- function(name, r) {
  out(name, sprintf("{ t: %s, df: %s, p: %s, ci: %s, se: %s, estimate: %s }",
    num(r$statistic), num(r$parameter), num(r$p.value), vec(r$conf.int), num(r$stderr),
    vec(r$estimate)))
}
cat("/** R's numbers for outputs.test.ts, written by test/r/outputs-reference.R (do not edit). */\n")
cat("export const R = {\n")
ttest("welch", t.test(d$after[A], d$after[!A]))
ttest("student", t.test(d$after[A], d$after[!A], var.equal = TRUE))
ttest("paired", t.test(d$after, d$before, paired = TRUE))
ttest("pairedMu", t.test(d$after, d$before, paired = TRUE, mu = 2, conf.level = 0.9))
ttest("oneSample", t.test(d$after, mu = 50))
ttest("oneSampleMu0", t.test(d$before, conf.level = 0.99))
m <- summary(lm(after ~ age + arm + before, data = d))
out("lm", sprintf(
  "{ coef: %s, se: %s, t: %s, p: %s, sigma: %s, df: %s, r2: %s, adjR2: %s, f: %s, fdf: %s, fp: %s }",
  vec(m$coefficients[, 1]), vec(m$coefficients[, 2]), vec(m$coefficients[, 3]),
  vec(m$coefficients[, 4]), num(m$sigma), num(m$df[2]), num(m$r.squared),
  num(m$adj.r.squared), num(m$fstatistic[1]), vec(m$fstatistic[2:3]),
  num(pf(m$fstatistic[1], m$fstatistic[2], m$fstatistic[3], lower.tail = FALSE))))
cor1 <- function(name, r) {
  out(name, sprintf("{ r: %s, t: %s, df: %s, p: %s, ci: %s }", num(r$estimate),
    num(r$statistic), num(r$parameter), num(r$p.value), vec(r$conf.int)))
}
cor1("cor", cor.test(d$age, d$after))
cor1("cor90", cor.test(d$before, d$after, conf.level = 0.9))
chi <- function(name, r) {
  out(name, sprintf("{ x2: %s, df: %s, p: %s, expected: %s }", num(r$statistic),
    num(r$parameter), num(r$p.value), vec(t(r$expected))))
}
tab <- table(factor(d$arm, c("A", "B")), factor(d$recovered, c(FALSE, TRUE)))
chi("chiYates", chisq.test(tab))
chi("chiPlain", chisq.test(tab, correct = FALSE))
lr <- survdiff(Surv(days, death) ~ arm, data = d)
out("logRank", sprintf("{ observed: %s, expected: %s, x2: %s }", vec(lr$obs), vec(lr$exp),
  num(lr$chisq)))
times <- c(5, 10, 20, 30, 45, 60)
for (conf in c(0.95, 0.9)) {
  s <- summary(survfit(Surv(days, death) ~ arm, data = d, conf.int = conf), times = times,
    extend = TRUE)
  cat("  km", conf * 100, ": {\n", sep = "")
  for (g in c("arm=A", "arm=B")) {
    k <- s$strata == g
    cat(sprintf("    '%s': { atRisk: %s, events: %s, survival: %s, stdErr: %s, lower: %s, upper: %s },\n",
      sub("=", " = ", g), vec(s$n.risk[k]), vec(s$n.event[k]), vec(s$surv[k]), vec(s$std.err[k]),
      vec(s$lower[k]), vec(s$upper[k])))
  }
  cat("  },\n")
}
probs <- c(0, 0.1, 0.25, 0.5, 0.75, 0.9, 1)
cat("  quantiles: {\n")
for (type in 1:9) cat(sprintf("    %d: %s,\n", type, vec(quantile(d$age, probs, type = type, names = FALSE))))
cat("  },\n")
# Probabilities where n p is not an integer, on the 31 records with sex = F.
probs <- c(0.01, 0.33, 0.5, 0.66, 0.999)
cat("  quantilesF: {\n")
for (type in 1:9) cat(sprintf("    %d: %s,\n", type, vec(quantile(d$age[d$sex == "F"], probs, type = type, names = FALSE))))
cat("  },\n")
# Edge: the Nonmaintained arm of aml ends with an event (S = 0 from week 45 on).
s <- summary(survfit(Surv(time, status) ~ x, data = aml), times = c(12, 30, 45, 48, 100), extend = TRUE)
k <- s$strata == "x=Nonmaintained"
out("amlNonmaintained", sprintf("{ atRisk: %s, events: %s, survival: %s, stdErr: %s, lower: %s, upper: %s }",
  vec(s$n.risk[k]), vec(s$n.event[k]), vec(s$surv[k]), vec(s$std.err[k]), vec(s$lower[k]), vec(s$upper[k])))
cat("} as const;\n")
