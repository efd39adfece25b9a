import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.apache.logging.log4j.LogManager;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

/**
 * A single OpenSearch node run from plain Maven Central jars (no distribution).
 *
 * Usage: java -cp build/classes:lib/* SearchNode -Epath.home=DIR -Ehttp.port=9200 ...
 *
 * Reads DIR/config/opensearch.yml and DIR/config/log4j2.properties like the real
 * distribution; -E settings win over the file. The modules a distribution would
 * load from modules/ are passed as classpath plugins instead (the same route the
 * test framework's MockNode takes). Blocks until the JVM gets SIGTERM/SIGINT,
 * then closes the node cleanly.
 */
public final class SearchNode extends Node {

    private static final String[] PLUGINS = {
        "org.opensearch.transport.Netty4Plugin",            // HTTP + transport (transport-netty4-client)
        "org.opensearch.analysis.common.CommonAnalysisPlugin", // dutch/english analyzers, stemmers (analysis-common)
        "org.opensearch.painless.PainlessPlugin",           // scripting (lang-painless), optional
    };

    private SearchNode(Environment env, Collection<Class<? extends Plugin>> plugins) {
        super(env, plugins, true);
    }

    @SuppressWarnings("unchecked")
    private static List<Class<? extends Plugin>> loadPlugins() {
        List<Class<? extends Plugin>> out = new ArrayList<>();
        for (String name : PLUGINS) {
            try {
                out.add((Class<? extends Plugin>) Class.forName(name));
            } catch (ClassNotFoundException | LinkageError e) {
                System.err.println("search-node: plugin " + name + " not loaded: " + e);
            }
        }
        return out;
    }

    private static void fail(String what, Throwable t) {
        System.err.println("search-node: " + what + ": " + t);
        t.printStackTrace();
        LogManager.getLogger(SearchNode.class).error("search-node: " + what, t);
        System.exit(1);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> cli = new HashMap<>();
        for (String arg : args) {
            if (!arg.startsWith("-E") || !arg.contains("=")) {
                throw new IllegalArgumentException("expected -Ekey=value, got: " + arg);
            }
            String kv = arg.substring(2);
            int eq = kv.indexOf('=');
            cli.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        String home = cli.get("path.home");
        if (home == null) {
            throw new IllegalArgumentException("-Epath.home=... is required");
        }
        Path configDir = Paths.get(home).toAbsolutePath().resolve("config");

        LogConfigurator.registerErrorListener();
        Environment env = InternalSettingsPreparer.prepareEnvironment(Settings.EMPTY, cli, configDir, () -> "search-node");
        LogConfigurator.setNodeName(Node.NODE_NAME_SETTING.get(env.settings()));
        LogConfigurator.configure(env);

        final SearchNode node;
        try {
            node = new SearchNode(env, loadPlugins());
        } catch (Throwable t) {
            fail("could not create the node", t);
            return;
        }
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                LogManager.shutdown();
                stopped.countDown();
            }
        }, "search-node-shutdown"));

        try {
            node.start();
        } catch (Throwable t) {
            fail("could not start the node", t); // e.g. port in use; the hook closes the node
        }
        System.out.println("search-node: started");
        stopped.await(); // keep-alive until SIGTERM/SIGINT runs the hook
    }
}
