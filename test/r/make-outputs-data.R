# Writes outputs.csv: the 60 synthetic records of the complete-outputs tests
# (src/analytics/study/outputs.test.ts). Run from this folder:
#   Rscript make-outputs-data.R
set.seed(20)
n <- 60
arm <- rep(c("A", "B"), length.out = n)
sex <- sample(c("F", "M"), n, replace = TRUE)
age <- sample(20:80, n, replace = TRUE)
before <- round(rnorm(n, 50, 10))
after <- before + round(rnorm(n, 3, 5)) + ifelse(arm == "B", 2, 0)
recovered <- runif(n) < ifelse(arm == "A", 0.45, 0.7)
days <- pmin(60, 1 + floor(rexp(n, ifelse(arm == "A", 1 / 25, 1 / 40))))
death <- days < 60 & runif(n) < 0.8
d <- data.frame(arm, sex, age, before, after, recovered = ifelse(recovered, "true", "false"),
                days, death = ifelse(death, "true", "false"))
write.csv(d, "outputs.csv", row.names = FALSE, quote = FALSE)
