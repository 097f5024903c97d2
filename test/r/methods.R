# Reference numbers for the tests of one-way ANOVA, the Wilcoxon rank-sum
# (Mann-Whitney) test and Cox regression (src/analytics/stats/anova.test.ts,
# ranks.test.ts, cox.test.ts and src/analytics/study/methods.test.ts).
#
# Regenerate (R >= 4.0 with the survival package), from the repository root:
#   Rscript test/r/methods.R
# It writes the data sets test/r/mw.csv and test/r/cox.csv (seeded, so the
# same files every time) and prints R's numbers, which the tests embed as
# constants in test/methods-data.ts (CI has no R).
suppressMessages(library(survival))
here <- "test/r"
out <- function(...) cat(sprintf(...), "\n", sep = "")

# ---- one-way ANOVA: R's PlantGrowth (weights x 100 in the tests) ----
pg <- PlantGrowth
a <- oneway.test(weight ~ group, data = pg, var.equal = TRUE)
out("anova PlantGrowth: F = %.12g, df1 = %d, df2 = %d, p = %.12g", a$statistic, a$parameter[1], a$parameter[2], a$p.value)
# The same on three of the groups with a filter weight < 6 (as a 'where').
pg2 <- subset(pg, weight < 6)
a2 <- oneway.test(weight ~ group, data = pg2, var.equal = TRUE)
out("anova PlantGrowth weight < 6: F = %.12g, df1 = %d, df2 = %d, p = %.12g", a2$statistic, a2$parameter[1], a2$parameter[2], a2$p.value)

# ---- Wilcoxon rank-sum ----
# ?wilcox.test's example (no ties, exact p-value), two-sided; values x 100 in the tests.
x <- c(0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46)
y <- c(1.15, 0.88, 0.90, 0.74, 1.21)
w <- wilcox.test(x, y)
out("wilcox exact: W = %.12g, p = %.12g", w$statistic, w$p.value)
# airquality Ozone, May vs August (ties, normal approximation): R's documented W = 127.5, p = 0.0001208.
aq <- subset(airquality, Month %in% c(5, 8) & !is.na(Ozone))
w <- suppressWarnings(wilcox.test(Ozone ~ Month, data = aq))
out("wilcox airquality: W = %.12g, p = %.12g", w$statistic, w$p.value)
out("airquality May: %s", paste(aq$Ozone[aq$Month == 5], collapse = ", "))
out("airquality Aug: %s", paste(aq$Ozone[aq$Month == 8], collapse = ", "))
# A larger data set with many ties: a 0..10 pain score in three arms (two compared).
set.seed(20)
n <- 150
arm <- sample(c("A", "B", "C"), n, replace = TRUE)
score <- pmin(10, pmax(0, round(rnorm(n, ifelse(arm == "B", 5.6, 5), 2))))
write.csv(data.frame(score = score, arm = arm), file.path(here, "mw.csv"), row.names = FALSE, quote = FALSE)
w <- suppressWarnings(wilcox.test(score[arm == "A"], score[arm == "B"]))
out("wilcox mw.csv A vs B: W = %.12g, p = %.12g, nA = %d, nB = %d", w$statistic, w$p.value, sum(arm == "A"), sum(arm == "B"))
a3 <- oneway.test(score ~ arm, var.equal = TRUE)
out("anova mw.csv score ~ arm: F = %.12g, df1 = %d, df2 = %d, p = %.12g", a3$statistic, a3$parameter[1], a3$parameter[2], a3$p.value)

# ---- Cox regression, Breslow ties, times on public points (months 1..12) ----
set.seed(7)
n <- 240
arm <- sample(c("A", "B", "C"), n, replace = TRUE)
female <- sample(c(FALSE, TRUE), n, replace = TRUE)
site <- sample(c("north", "south"), n, replace = TRUE)
rate <- 0.08 * exp(0.5 * (arm == "B") - 0.4 * (arm == "C") + 0.3 * female + 0.4 * (site == "south"))
t <- rexp(n, rate)
cens <- runif(n, 3, 14)
time <- pmin(12, ceiling(pmin(t, cens)))
status <- as.integer(t <= cens & ceiling(t) <= 12)
write.csv(data.frame(time = time, status = status, arm = arm, female = female, site = site),
  file.path(here, "cox.csv"), row.names = FALSE, quote = FALSE)
cox <- read.csv(file.path(here, "cox.csv"))
cox$arm <- factor(cox$arm, levels = c("A", "B", "C"))
report <- function(label, f) {
  s <- summary(f)
  out("cox %s: n = %d, events = %d", label, f$n, f$nevent)
  cf <- s$coefficients
  ci <- s$conf.int
  for (j in seq_len(nrow(cf)))
    out("  %s: coef = %.12g, se = %.12g, HR = %.12g, lower95 = %.12g, upper95 = %.12g, p = %.12g",
      rownames(cf)[j], cf[j, 1], cf[j, 3], cf[j, 2], ci[j, 3], ci[j, 4], cf[j, 5])
  df <- length(f$coefficients)
  lr <- 2 * (f$loglik[2] - f$loglik[1])
  out("  wald = %.12g, lr = %.12g, score = %.12g (df %d; p = %.12g, %.12g, %.12g)",
    f$wald.test, lr, f$score, df, pchisq(f$wald.test, df, lower.tail = FALSE),
    pchisq(lr, df, lower.tail = FALSE), pchisq(f$score, df, lower.tail = FALSE))
  out("  loglik: null %.12g, final %.12g", f$loglik[1], f$loglik[2])
}
report("arm + female + strata(site)",
  coxph(Surv(time, status) ~ arm + female + strata(site), data = cox, ties = "breslow"))
report("arm (no strata)", coxph(Surv(time, status) ~ arm, data = cox, ties = "breslow"))

# ---- the exact rank-sum distribution ----
out("pwilcox(c(0, 3, 10, 24), 5, 10) = %s", paste(sprintf("%.15g", pwilcox(c(0, 3, 10, 24), 5, 10)), collapse = ", "))

# ---- PlantGrowth rank-sum, ctrl vs trt1 (ties: normal approximation) ----
w <- suppressWarnings(wilcox.test(weight ~ group, data = subset(PlantGrowth, group %in% c("ctrl", "trt1"))))
out("wilcox PlantGrowth ctrl vs trt1: W = %.12g, p = %.12g", w$statistic, w$p.value)
# The arm as an integer predictor 0, 1, 2 (a linear trend), with strata.
cox$armnum <- as.integer(cox$arm) - 1
report("armnum + strata(site)",
  coxph(Surv(time, status) ~ armnum + strata(site), data = cox, ties = "breslow"))
# Times rounded up to the public points 3, 6, 9, 12 (the approximation on coarser points).
cox$time3 <- 3 * ceiling(cox$time / 3)
report("arm + female + strata(site), times rounded up to 3, 6, 9, 12",
  coxph(Surv(time3, status) ~ arm + female + strata(site), data = cox, ties = "breslow"))
