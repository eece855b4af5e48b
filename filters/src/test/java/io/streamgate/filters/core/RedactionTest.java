package io.streamgate.filters.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RedactionTest {
    @Test
    void aRedisPasswordIsHiddenWhateverTheForm() {
        assertThat(Redaction.url("redis://:S3CRETPASS@10.0.0.5:notaport")).isEqualTo("redis://:***@10.0.0.5:notaport");
        assertThat(Redaction.url("redis://default:S3CRETPASS@redis:6379/0")).isEqualTo("redis://default:***@redis:6379/0");
        assertThat(Redaction.url("rediss://S3CRETPASS@redis:6380")).as("a userinfo without ':' is the password")
                .isEqualTo("rediss://***@redis:6380");
        assertThat(Redaction.url("redis-sentinel://:S3CRETPASS@s1:26379,s2:26379/0#mymaster"))
                .isEqualTo("redis-sentinel://:***@s1:26379,s2:26379/0#mymaster");
        assertThat(Redaction.url("redis-cluster://u:S3CRETPASS@n1:7000,n2:7001"))
                .isEqualTo("redis-cluster://u:***@n1:7000,n2:7001");
        assertThat(Redaction.url("redis://:pa/ss#w?rd@host:6379")).as("a password holding '/', '#', '?'")
                .isEqualTo("redis://:***@host:6379");
    }

    @Test
    void queryValuesAndHttpUserinfoAreHidden() {
        assertThat(Redaction.url("https://reader:S3CRET@idp.example/jwks?api_key=S3CRET&v=2#k"))
                .isEqualTo("https://reader:***@idp.example/jwks?api_key=***&v=***#k");
        assertThat(Redaction.url("https://idp.example/jwks?S3CRET")).isEqualTo("https://idp.example/jwks?***");
        assertThat(Redaction.url("https://idp.example/.well-known/jwks.json"))
                .isEqualTo("https://idp.example/.well-known/jwks.json");
        assertThat(Redaction.url("https://idp.example/jwks?owner=a@b.example")).as("'@' in the query is no userinfo")
                .isEqualTo("https://idp.example/jwks?owner=***");
        assertThat(Redaction.url("htp:/x")).isEqualTo("htp:/x");
        assertThat(Redaction.url(null)).isNull();
    }

    @Test
    void scrubHidesTheUrlAndItsSecretsInALibrarysMessage() {
        String url = "redis://:S3CRETPASS@10.0.0.5:6379";
        assertThat(Redaction.scrub("Unable to connect to " + url + " (auth S3CRETPASS rejected)", url))
                .isEqualTo("Unable to connect to redis://:***@10.0.0.5:6379 (auth *** rejected)")
                .doesNotContain("S3CRETPASS");
        assertThat(Redaction.scrub("pass S3CRET%2FX", "redis://:S3CRET%2FX@h:1")).isEqualTo("pass ***");
        assertThat(Redaction.scrub("pass S3CRET/X", "redis://:S3CRET%2FX@h:1")).isEqualTo("pass ***");
    }
}
